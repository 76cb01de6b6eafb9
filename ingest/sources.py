"""Which pull sources this ingest runs, from settings (each integration adds its poller here)."""

from __future__ import annotations

from alertfleet.settings import Settings
from ingest.pollers import Poller


def build_pollers(settings: Settings) -> list[Poller]:
    pollers: list[Poller] = []
    return pollers
