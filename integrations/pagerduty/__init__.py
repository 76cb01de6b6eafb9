"""PagerDuty: incidents in (REST poll with a cursor, signed webhooks v3), investigations out as notes."""

from __future__ import annotations

from collections.abc import Callable

from alertfleet.integration import Integration, NotConfigured, Poller, RateLimit, WebhookSource
from alertfleet.models import Investigation
from alertfleet.settings import FleetSettings
from alertfleet.writing import Throttle, Writer
from integrations.pagerduty.settings import PagerDutyDestination, PagerDutySettings


class PagerDutyIntegration(Integration[PagerDutySettings]):
    name = "pagerduty"
    settings_model = PagerDutySettings
    destination_model = PagerDutyDestination
    credential_env = "PAGERDUTY_API_KEY"
    route_options = {"mode": "pagerduty_mode", "token_env": "pagerduty_api_key"}
    mode_setting = "pagerduty_mode"  # PAGERDUTY_MODE=read-only: read from, never written back to

    def limit(self, settings: FleetSettings) -> RateLimit:
        return RateLimit(f"{self.own(settings).pagerduty_rate_limit}/minute")  # PAGERDUTY_RATE_LIMIT

    def pollers(self, settings: FleetSettings, throttle: Throttle) -> list[Poller]:
        own = self.own(settings)
        if own.pagerduty_api_key is None:
            return []
        from integrations.pagerduty.poller import PagerDutyPoller

        return [PagerDutyPoller.from_settings(own, throttle)]

    def webhooks(self) -> list[WebhookSource]:
        from integrations.pagerduty.webhook import WEBHOOK

        return [WEBHOOK]

    def writer(self, settings: FleetSettings, throttle: Throttle) -> Writer:
        from integrations.pagerduty.writer import build_pagerduty_writer

        own = self.own(settings)
        if own.pagerduty_api_key is None:
            raise NotConfigured("pagerduty destination needs PAGERDUTY_API_KEY")
        if own.pagerduty_mode == "read-only":
            raise NotConfigured("PAGERDUTY_MODE is read-only: nothing is written to PagerDuty")
        # The write task took one token of the shared limiter; the writer charges its other requests to it.
        return build_pagerduty_writer(own, settings.public_url, throttle=throttle, prepaid_requests=1)

    def render(self, investigation: Investigation) -> str:
        from integrations.pagerduty.render import note_body

        return note_body(investigation)

    def cli(self) -> Callable[..., None]:
        from integrations.pagerduty.cli import pagerduty

        return pagerduty


integration = PagerDutyIntegration()
