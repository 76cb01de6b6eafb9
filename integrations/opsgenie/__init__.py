"""OpsGenie: open alerts polled in (cursor on createdAt), investigations out as notes (and tags)."""

from __future__ import annotations

from collections.abc import Callable

from alertfleet.integration import Integration, NotConfigured, Poller, RateLimit
from alertfleet.models import Investigation
from alertfleet.settings import FleetSettings
from alertfleet.writing import Throttle, Writer
from integrations.opsgenie.settings import OpsGenieDestination, OpsGenieSettings


class OpsGenieIntegration(Integration[OpsGenieSettings]):
    name = "opsgenie"
    settings_model = OpsGenieSettings
    destination_model = OpsGenieDestination
    credential_env = "OPSGENIE_API_KEY"
    route_options = {"mode": "opsgenie_mode", "token_env": "opsgenie_api_key"}
    mode_setting = "opsgenie_mode"  # OPSGENIE_MODE=read-only: read from, never written back to

    def limit(self, settings: FleetSettings) -> RateLimit:
        return RateLimit(f"{self.own(settings).opsgenie_rate_limit}/minute")  # OPSGENIE_RATE_LIMIT

    def pollers(self, settings: FleetSettings, throttle: Throttle) -> list[Poller]:
        own = self.own(settings)
        if own.opsgenie_api_key is None:
            return []
        from integrations.opsgenie.poller import OpsGeniePoller  # the SDK is imported only when OpsGenie is on

        return [OpsGeniePoller.from_settings(own, throttle)]

    def writer(self, settings: FleetSettings, throttle: Throttle) -> Writer:
        from integrations.opsgenie.client import OpsGenieClient
        from integrations.opsgenie.writer import OpsGenieWriter

        own = self.own(settings)
        if own.opsgenie_api_key is None:
            raise NotConfigured("opsgenie destination needs OPSGENIE_API_KEY")
        if own.opsgenie_mode == "read-only":
            raise NotConfigured("OPSGENIE_MODE is read-only: nothing is written to OpsGenie")
        client = OpsGenieClient(own.opsgenie_api_key.get_secret_value(), own.opsgenie_api_url)
        # The write task took one token of the shared limiter; the writer charges its other requests to it.
        return OpsGenieWriter(
            client,
            mode=own.opsgenie_mode,
            update_tags=own.opsgenie_update_tags,
            update_priority=own.opsgenie_update_priority,
            throttle=throttle,
            prepaid_requests=1,
        )

    def render(self, investigation: Investigation) -> str:
        from integrations.opsgenie.render import render_note

        return render_note(investigation)

    def cli(self) -> Callable[..., None]:
        from integrations.opsgenie.cli import opsgenie

        return opsgenie


integration = OpsGenieIntegration()
