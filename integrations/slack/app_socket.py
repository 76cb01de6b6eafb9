"""Socket Mode, for clusters Slack cannot reach: with SLACK_APP_TOKEN one ingest replica (the holder of
the background lease, ingest/background.py) opens Slack's socket (apps.connections.open, then the
websocket; slack-sdk's client reconnects on its own) and takes the same deliveries the HTTP routes take,
through the same intake: each is acknowledged once it is stored, so Slack re-sends what was not."""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis
import structlog

from alertfleet.queue import make_celery
from alertfleet.settings import FleetSettings
from integrations.slack.app_intake import SlackIntake, StoreUnavailable

log = structlog.get_logger("slack_app")


class SocketModeConnection:
    name = "slack-socket-mode"

    def __init__(self, settings: FleetSettings) -> None:
        self.settings = settings

    async def run(self) -> None:
        from slack_sdk.socket_mode.aiohttp import SocketModeClient
        from slack_sdk.socket_mode.request import SocketModeRequest
        from slack_sdk.socket_mode.response import SocketModeResponse
        from slack_sdk.web.async_client import AsyncWebClient

        token = getattr(self.settings, "slack_app_token", None)
        if token is None:
            return
        client = aioredis.Redis.from_url(self.settings.redis_client_url, socket_connect_timeout=2, socket_timeout=5)
        intake = SlackIntake(client, make_celery(self.settings))
        web = AsyncWebClient(base_url=str(getattr(self.settings, "slack_api_url", "https://slack.com/api/")))
        socket: Any = SocketModeClient(app_token=token.get_secret_value(), web_client=web)  # untyped methods

        async def on_request(socket: Any, request: SocketModeRequest) -> None:
            try:
                await self._take(intake, request.type, request.payload or {})
            except StoreUnavailable as exc:
                log.warning("socket_delivery_not_stored", kind=request.type, error=str(exc))
                return  # no ack: Slack delivers it again
            await socket.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))

        socket.socket_mode_request_listeners.append(on_request)
        try:
            await socket.connect()
            log.info("socket_mode_connected")
            await asyncio.Event().wait()  # until the lease is lost or ingest stops (cancelled)
        finally:
            await socket.close()
            await client.aclose()
            log.info("socket_mode_closed")

    async def _take(self, intake: SlackIntake, kind: str, payload: dict[str, Any]) -> None:
        if kind == "events_api" and payload.get("type") == "event_callback":
            await intake.event(payload)
        elif kind == "interactive":
            await intake.actions(payload)
