"""Helpers for routing tests: settings without the developer's environment, configs from text."""

from __future__ import annotations

import pytest

from alertfleet.config import RoutingConfig, parse_config
from alertfleet.settings import Settings

SECRETS = {"SLACK_BOT_TOKEN": "xoxb-routing-test", "PAGERDUTY_API_KEY": "pd-key", "OPSGENIE_API_KEY": "og-key"}


def settings(**values: object) -> Settings:
    """Settings from explicit values only: the test's outcome never depends on the caller's shell."""
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def config(text: str, environ: dict[str, str] | None = None, **values: object) -> RoutingConfig:
    return parse_config(text, settings(**values), "test.yaml", SECRETS if environ is None else environ)


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ALERTFLEET_CONFIG", "MODEL", "SLACK_BOT_TOKEN", "SLACK_CHANNEL", "WEBHOOK_URL", "PAGERDUTY_API_KEY"):
        monkeypatch.delenv(name, raising=False)
