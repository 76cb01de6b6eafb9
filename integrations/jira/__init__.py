"""Jira (Cloud REST v3): issues polled in by JQL, investigations out as ADF comments on each issue."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from alertfleet.integration import Integration, NotConfigured, Poller, RateLimit
from alertfleet.models import Investigation
from alertfleet.request_gate import RequestGate, fleet_pause
from alertfleet.settings import FleetSettings
from alertfleet.writing import Throttle, Writer
from integrations.jira.settings import JiraDestination, JiraSettings

NEEDS = "JIRA_URL, JIRA_USERNAME and JIRA_API_TOKEN"


class JiraIntegration(Integration[JiraSettings]):
    name = "jira"
    settings_model = JiraSettings
    destination_model = JiraDestination
    mode_setting = "jira_mode"  # or a route's `mode:`; read-only writes nothing
    route_options = {"mode": "jira_mode"}

    def limit(self, settings: FleetSettings) -> RateLimit:
        return RateLimit(f"{self.own(settings).jira_rate_limit}/minute")  # JIRA_RATE_LIMIT

    def api(self, settings: FleetSettings, throttle: Throttle | None, *, blocking: bool = False) -> Any:
        """A JiraApi whose every request draws on `throttle` and whose 429s pause Jira fleet-wide."""
        from integrations.jira.client import JiraApi

        own = self.own(settings)
        if not own.jira_configured() or own.jira_url is None or own.jira_api_token is None:
            raise NotConfigured(f"jira needs {NEEDS}")
        pause = None if blocking else fleet_pause(settings.redis_client_url, self.name)
        gate = RequestGate(self.name, throttle, pause, blocking=blocking)
        return JiraApi(own.jira_url, str(own.jira_username), own.jira_api_token.get_secret_value(), gate)

    def pollers(self, settings: FleetSettings, throttle: Throttle) -> list[Poller]:
        own = self.own(settings)
        if not own.jira_configured():
            return []
        from integrations.jira.poller import JiraPoller
        from integrations.jira.source import base_jql

        jql = base_jql(own.jira_project, own.jira_jql)
        api = self.api(settings, throttle)
        return [JiraPoller(api, jql, interval=own.jira_poll_interval, lookback=own.jira_lookback)]


    def destination_problems(
        self, where: str, destination: BaseModel, settings: FleetSettings, env: Mapping[str, str]
    ) -> list[str]:
        return [] if self.own(settings).jira_configured() else [f"{where}: jira needs {NEEDS}"]


    def writer(self, settings: FleetSettings, throttle: Throttle) -> Writer:
        from integrations.jira.writer import JiraWriter

        if self.own(settings).jira_mode == "read-only":
            raise NotConfigured("JIRA_MODE is read-only: nothing is written to Jira")
        # The write task took one token of the shared limiter before each write (JiraWriter prepays it).
        return JiraWriter(self.api(settings, throttle), settings.public_url, prepaid_requests=1)

    def render(self, investigation: Investigation) -> dict[str, Any]:
        from integrations.jira.render import comment_body

        return comment_body(investigation)[0]

    def cli(self) -> Callable[..., None]:
        from integrations.jira.cli import jira

        return jira


integration = JiraIntegration()
