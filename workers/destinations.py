"""Where results go, and the writer for each destination type (built from settings, once per process).

A new destination registers a builder in WRITER_BUILDERS; routing decides which destinations an
investigation gets, and the event's own `writeback` targets are always added.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from alertfleet.models import Investigation, WriteTarget
from alertfleet.settings import Settings, get_settings
from integrations.base import Writer
from integrations.slack.writer import SlackWriter


class UnknownDestination(LookupError):
    """No writer can be built for a destination: a configuration problem, dead-lettered with this reason."""


def routed_destinations(investigation: Investigation, settings: Settings) -> list[WriteTarget]:
    """The zero-config route: every destination configured in the environment gets every investigation."""
    found = []
    if settings.slack_bot_token and settings.slack_channel:
        found.append(WriteTarget(type="slack", target=settings.slack_channel))
    return found


def destinations_for(investigation: Investigation, settings: Settings) -> list[WriteTarget]:
    """Routed destinations plus the event's write-back targets, each once."""
    targets = [*routed_destinations(investigation, settings), *investigation.event.writeback]
    return list(dict.fromkeys(targets))


def _slack_writer(settings: Settings) -> Writer:
    if settings.slack_bot_token is None:
        raise UnknownDestination("slack destination needs SLACK_BOT_TOKEN")
    return SlackWriter(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)


WRITER_BUILDERS: dict[str, Callable[[Settings], Writer]] = {"slack": _slack_writer}


def build_writer(destination: str, settings: Settings) -> Writer:
    builder = WRITER_BUILDERS.get(destination)
    if builder is None:
        raise UnknownDestination(f"no writer for destination {destination!r}")
    return builder(settings)


@lru_cache(maxsize=16)
def writer_for(destination: str) -> Writer:
    return build_writer(destination, get_settings())
