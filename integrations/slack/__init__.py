"""Slack: investigations posted to a channel (and updated in place), chat.postMessage via slack-sdk."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from alertfleet.integration import Background, Integration, NotConfigured, RateLimit
from alertfleet.models import Investigation, WriteTarget
from alertfleet.settings import FleetSettings
from alertfleet.writing import Throttle, Writer, WriteResult
from integrations.slack.settings import SlackDestination, SlackSettings

if TYPE_CHECKING:
    import redis


class SlackIntegration(Integration[SlackSettings]):
    name = "slack"
    settings_model = SlackSettings
    destination_model = SlackDestination
    rate_limit = RateLimit("1/second", per_target=True)  # Slack's chat.postMessage limit, per channel
    credential_env = "SLACK_BOT_TOKEN"
    route_options = {"token_env": "slack_bot_token"}

    def secrets(self, settings: FleetSettings) -> list[str]:
        own = self.own(settings)
        values = (own.slack_bot_token, own.slack_signing_secret, own.slack_app_token)
        return [value.get_secret_value() for value in values if value]

    def default_destination(self, settings: FleetSettings) -> BaseModel | None:
        own = self.own(settings)
        if own.slack_bot_token and own.slack_channel:
            return SlackDestination(type="slack", channel=own.slack_channel)
        return None

    def write_target(self, destination: BaseModel, name: str = "") -> WriteTarget:
        assert isinstance(destination, SlackDestination)
        options = {"token_env": destination.token_env} if destination.token_env else {}
        return WriteTarget(type=self.name, target=destination.channel, options=options)

    def describe(self, name: str, destination: BaseModel) -> str:
        assert isinstance(destination, SlackDestination)
        token = f", token from {destination.token_env}" if destination.token_env else ""
        return f"{name} (slack {destination.channel}{token})"

    def writer(self, settings: FleetSettings, throttle: Throttle) -> Writer:
        from integrations.slack.writer import SlackWriter

        own = self.own(settings)
        if own.slack_bot_token is None:
            raise NotConfigured("slack destination needs SLACK_BOT_TOKEN")
        return SlackWriter(own.slack_bot_token.get_secret_value(), own.slack_api_url, buttons=own.slack_app_enabled)

    def render(self, investigation: Investigation) -> dict[str, Any]:
        from integrations.slack.render import render_blocks, render_text

        return {"text": render_text(investigation), "blocks": render_blocks(investigation)}

    # the Slack app: follow-up questions in threads, buttons ---------------------------------------------

    def app_routes(self) -> list[Any]:
        from integrations.slack.app_events import router

        return [router]

    def background(self, settings: FleetSettings) -> list[Background]:
        own = self.own(settings)
        if own.slack_app_token is None:
            return []
        from integrations.slack.app_socket import SocketModeConnection

        return [SocketModeConnection(settings)]

    def worker_modules(self) -> list[str]:
        return ["integrations.slack.app_tasks"]

    def written(
        self, settings: FleetSettings, client: redis.Redis, investigation: Investigation, target: str, result: WriteResult
    ) -> None:
        from integrations.slack import app_threads

        channel = str(result.details.get("channel") or "")
        if self.own(settings).slack_app_enabled and channel and result.external_id:
            app_threads.link(client, app_threads.ThreadLink(investigation.id, channel, result.external_id, target))


integration = SlackIntegration()
