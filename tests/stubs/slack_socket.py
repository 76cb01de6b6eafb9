"""Slack as the other end of the Slack app: signed Events API and interactivity requests, and a Socket
Mode websocket (what `apps.connections.open` hands out) that pushes envelopes and records their acks.

The websocket is served by aiohttp (in the venv with slack-sdk's asyncio Socket Mode client) on its
own loop in a thread; the stub counts every connection, so a test can prove one socket per fleet.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from aiohttp import WSMsgType, web

from tests.stubs.http import LOOPBACK


def signed_headers(
    secret: str, body: bytes, timestamp: int | None = None, content_type: str = "application/json"
) -> dict[str, str]:
    """The headers Slack sends: X-Slack-Signature = v0=HMAC-SHA256(secret, "v0:{ts}:{body}")."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}", "Content-Type": content_type}


_event_ids = itertools.count(1)


def event_callback(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """An Events API `event_callback` body around `event`."""
    return {
        "token": "verification-token-unused",
        "team_id": "T0000001",
        "api_app_id": "A0000001",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event_ids):08d}{uuid.uuid4().hex[:6]}",
        "event_time": int(time.time()),
    }


def mention(channel: str, thread_ts: str, text: str, user: str = "U0000099", **extra: Any) -> dict[str, Any]:
    """A user's `@alertfleet ...` in the thread under `thread_ts` (an `app_mention` event)."""
    ts = f"{time.time():.6f}"
    return {
        "type": "app_mention",
        "user": user,
        "text": f"<@U0000001> {text}",
        "ts": ts,
        "channel": channel,
        "thread_ts": thread_ts,
        "event_ts": ts,
        **extra,
    }


def block_actions(
    action_id: str, investigation_id: str, channel: str, message_ts: str, user: str = "U0000099"
) -> dict[str, Any]:
    """A `block_actions` payload: `user` clicked the button `action_id` under our message."""
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "jane", "name": "jane", "team_id": "T0000001"},
        "api_app_id": "A0000001",
        "team": {"id": "T0000001", "domain": "alertfleet-test"},
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
        "channel": {"id": channel, "name": "alerts"},
        "message": {"type": "message", "ts": message_ts, "bot_id": "B0000001"},
        "response_url": "http://127.0.0.1:9/unused",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "alertfleet_actions",
                "value": investigation_id,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def interaction_body(payload: dict[str, Any]) -> bytes:
    """What Slack posts to the interactivity URL: a form with `payload=<JSON>`."""
    return urlencode({"payload": json.dumps(payload)}).encode()


class SocketModeServer:
    """Slack's Socket Mode endpoint: `hello` on connect, envelopes out, acks (envelope ids) in."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="slack-socket", daemon=True)
        self._lock = threading.Lock()
        self._open: list[web.WebSocketResponse] = []
        self.connections = 0  # every websocket ever accepted
        self.acks: list[str] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    def start(self) -> SocketModeServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, LOOPBACK, 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    @property
    def url(self) -> str:
        return f"ws://{LOOPBACK}:{self.port}/link"

    def open_count(self) -> int:
        with self._lock:
            return len([ws for ws in self._open if not ws.closed])

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        with self._lock:
            self.connections += 1
            self._open.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1, "debug_info": {"host": "stub"}}))
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    envelope = json.loads(message.data)
                    if envelope.get("envelope_id"):
                        with self._lock:
                            self.acks.append(str(envelope["envelope_id"]))
                elif message.type == WSMsgType.ERROR:
                    break
        finally:
            with self._lock:
                if ws in self._open:
                    self._open.remove(ws)
        return ws

    def send(self, kind: str, payload: dict[str, Any], retry_attempt: int = 0) -> str:
        """Push one envelope (`events_api` or `interactive`) to the open connection; its envelope id."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": "",
        }
        with self._lock:
            sockets = [ws for ws in self._open if not ws.closed]
        if len(sockets) != 1:
            raise AssertionError(f"{len(sockets)} sockets open, expected exactly one")
        asyncio.run_coroutine_threadsafe(sockets[0].send_str(json.dumps(envelope)), self._loop).result(10)
        return envelope_id

    def drop(self) -> None:
        """Close every open socket from Slack's side (a restart of Slack's edge): the client must reconnect."""

        async def _drop() -> None:
            for ws in list(self._open):
                await ws.close()

        asyncio.run_coroutine_threadsafe(_drop(), self._loop).result(10)

    def acked(self, envelope_id: str) -> bool:
        with self._lock:
            return envelope_id in self.acks

    def stop(self) -> None:
        async def _stop() -> None:
            for ws in list(self._open):
                await ws.close()
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(_stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
