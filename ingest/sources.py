"""Which pull sources this ingest runs, from settings (each integration adds its poller here)."""

from __future__ import annotations

from alertfleet.settings import Settings
from ingest.pollers import Poller


def build_pollers(settings: Settings) -> list[Poller]:
    pollers: list[Poller] = []
    if settings.opsgenie_api_key is not None:
        from ingest.opsgenie_poller import OpsGeniePoller  # the SDK is imported only when OpsGenie is on

        pollers.append(OpsGeniePoller.from_settings(settings))
    if settings.pagerduty_api_key is not None:
        from ingest.pagerduty_poller import PagerDutyPoller

        pollers.append(PagerDutyPoller.from_settings(settings))
    return pollers
