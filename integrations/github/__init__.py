"""GitHub: issues in (poll with a `since` cursor, signed `issues` webhooks), investigations out as
issue comments; 5,000 requests an hour shared by poller and writer across the fleet."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from alertfleet.integration import Integration, NotConfigured, Poller, RateLimit, WebhookSource
from alertfleet.models import Investigation
from alertfleet.request_gate import RequestGate, fleet_pause
from alertfleet.settings import FleetSettings
from alertfleet.writing import Throttle, Writer
from integrations.github.settings import GitHubDestination, GitHubSettings


class GitHubIntegration(Integration[GitHubSettings]):
    name = "github"
    settings_model = GitHubSettings
    destination_model = GitHubDestination
    credential_env = "GITHUB_TOKEN"
    mode_setting = "github_mode"  # or a route's `mode:`; read-only writes nothing
    route_options = {"mode": "github_mode", "token_env": "github_token"}

    def limit(self, settings: FleetSettings) -> RateLimit:
        return RateLimit(f"{self.own(settings).github_rate_limit}/hour")  # GITHUB_RATE_LIMIT

    def api(self, settings: FleetSettings, throttle: Throttle | None, *, blocking: bool = False) -> Any:
        """A GitHubApi whose every request draws on `throttle` and whose rate limits pause GitHub fleet-wide."""
        from integrations.github.client import GitHubApi

        own = self.own(settings)
        if own.github_token is None:
            raise NotConfigured("github needs GITHUB_TOKEN")
        pause = None if blocking else fleet_pause(settings.redis_client_url, self.name)
        gate = RequestGate(self.name, throttle, pause, blocking=blocking)
        return GitHubApi(own.github_token.get_secret_value(), own.github_api_url, gate)

    def pollers(self, settings: FleetSettings, throttle: Throttle) -> list[Poller]:
        own = self.own(settings)
        if own.github_token is None or own.github_repository is None:
            return []
        from integrations.github.poller import GitHubPoller

        return [
            GitHubPoller(
                self.api(settings, throttle),
                own.github_repository,
                own.github_labels,
                interval=own.github_poll_interval,
                lookback=own.github_lookback,
            )
        ]

    def webhooks(self) -> list[WebhookSource]:
        from integrations.github.webhook import WEBHOOK

        return [WEBHOOK]

    def describe(self, name: str, destination: BaseModel) -> str:
        assert isinstance(destination, GitHubDestination)
        token = f", token from {destination.token_env}" if destination.token_env else ""
        return f"{name} (github{f', mode {destination.mode}' if destination.mode else ''}{token})"


    def writer(self, settings: FleetSettings, throttle: Throttle) -> Writer:
        from integrations.github.writer import GitHubWriter

        if self.own(settings).github_mode == "read-only":
            raise NotConfigured("GITHUB_MODE is read-only: nothing is written to GitHub")
        # The write task took one token of the shared limiter before each write (GitHubWriter prepays it).
        return GitHubWriter(self.api(settings, throttle), settings.public_url, prepaid_requests=1)

    def render(self, investigation: Investigation) -> str:
        from integrations.github.render import comment_body

        return comment_body(investigation)[0]

    def cli(self) -> Callable[..., None]:
        from integrations.github.cli import github

        return github


integration = GitHubIntegration()
