"""Secrets given as CLI flags are masked in logs exactly like the environment variables they replace."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog
from typer.testing import CliRunner

from alertfleet import log
from alertfleet.cli import app
from alertfleet.settings import get_settings
from tests.harness.processes import free_port
from tests.stubs.opsgenie import OpsGenieStub
from tests.stubs.pagerduty import PagerDutyStub

CLOSED = f"http://127.0.0.1:{free_port()}"  # nothing listens: the command fails fast after parsing its flags


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("SLACK_BOT_TOKEN", "PAGERDUTY_API_KEY", "OPSGENIE_API_KEY", "ALERTFLEET_CONFIG", "WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PAGERDUTY_MODE", "read-only")
    get_settings.cache_clear()
    handlers, level = logging.root.handlers[:], logging.root.level
    yield
    get_settings.cache_clear()
    # The commands configured logging onto CliRunner's streams, closed now: give later tests the defaults back.
    structlog.reset_defaults()
    logging.root.handlers[:], logging.root.level = handlers, level


def _masked(value: str) -> bool:
    return log.redact(f"before {value} after") == f"before {log.REDACTED} after"


def test_alertmanager_password_and_slack_token_flags_are_masked() -> None:
    password, token = "am-flag-password-0001", "xoxb-flag-token-0001"
    args = ["investigate", "alertmanager", "--alertmanager-url", CLOSED, "--alertmanager-username", "bot"]
    args += ["--alertmanager-password", password, "--destination", "slack", "--slack-token", token]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 1, done.output
    assert _masked(password) and _masked(token)


def test_pagerduty_api_key_flag_is_masked(pagerduty_stub: PagerDutyStub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGERDUTY_API_URL", pagerduty_stub.base_url)
    key = "pd-flag-key-0001"  # not the stub's token: PagerDuty answers 401 and the command exits 1
    done = CliRunner().invoke(app, ["investigate", "pagerduty", "--pagerduty-api-key", key])
    assert done.exit_code == 1, done.output
    assert _masked(key)


def test_opsgenie_api_key_flag_is_masked(opsgenie_stub: OpsGenieStub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSGENIE_API_URL", opsgenie_stub.base_url)
    key = "genie-flag-key-0001"
    done = CliRunner().invoke(app, ["investigate", "opsgenie", "--opsgenie-api-key", key])
    assert done.exit_code == 1, done.output
    assert _masked(key)
