"""Where results go, and the writer for each destination type (built from settings, once per process)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from alertfleet.models import Event
from alertfleet.settings import Settings, get_settings
from integrations.base import Writer
from integrations.slack.writer import SlackWriter


@dataclass(frozen=True)
class Destination:
    type: str
    target: str


def destinations_for(event: Event, settings: Settings) -> list[Destination]:
    """The zero-config route: every configured destination gets every investigation."""
    found = []
    if settings.slack_bot_token and settings.slack_channel:
        found.append(Destination("slack", settings.slack_channel))
    return found


class UnknownDestination(LookupError):
    pass


def build_writer(destination: str, settings: Settings) -> Writer:
    if destination == "slack":
        if settings.slack_bot_token is None:
            raise UnknownDestination("slack destination needs SLACK_BOT_TOKEN")
        return SlackWriter(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    raise UnknownDestination(f"no writer for destination {destination!r}")


@lru_cache(maxsize=16)
def writer_for(destination: str) -> Writer:
    return build_writer(destination, get_settings())
