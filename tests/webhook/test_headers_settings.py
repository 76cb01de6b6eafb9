"""WEBHOOK_HEADERS parsing, `${VAR}` expansion, start-up validation and log masking; OpsGenie settings."""

from __future__ import annotations

import subprocess
import sys

import pytest

from alertfleet.headers import parse_header_pairs, resolve_headers, secret_values
from alertfleet.log import redact, register_secrets, secrets_of
from alertfleet.settings import Settings, parse_duration
from tests.harness.processes import base_env


def _settings(**env: str) -> Settings:
    """Settings from these variables only (the test process's environment is not read)."""
    return Settings.model_validate(env)


def test_pairs_are_split_on_semicolons_and_trimmed() -> None:
    assert parse_header_pairs(" Authorization: Bearer a:b ; X-Team:sre;") == [
        ("Authorization", "Bearer a:b"),
        ("X-Team", "sre"),
    ]


@pytest.mark.parametrize("text", ["Authorization Bearer xyz", "Bad Name: v", ": v"])
def test_malformed_pairs_are_refused_without_echoing_them(text: str) -> None:
    with pytest.raises(ValueError, match="pair 1 is not 'Name: value'") as caught:
        parse_header_pairs(text)
    assert "xyz" not in str(caught.value)


def test_variables_expand_and_an_unset_one_is_an_error() -> None:
    env = {"TOKEN": "t0k"}
    assert resolve_headers("Authorization: Bearer ${TOKEN}; X: ${TOKEN}-2", env) == {
        "Authorization": "Bearer t0k",
        "X": "t0k-2",
    }
    with pytest.raises(ValueError, match=r"\$\{MISSING\} is referenced but not set"):
        resolve_headers("X: ${MISSING}", env)


def test_secret_values_cover_credentials_but_not_content_type() -> None:
    values = secret_values({"Authorization": "Bearer t0k3n", "Content-Type": "application/json", "X-Key": "k-123"})
    assert values == ["Bearer t0k3n", "t0k3n", "k-123"]


def test_header_values_are_masked_in_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_CRED", "sekrit-value-42")
    settings = _settings(
        WEBHOOK_URL="http://127.0.0.1:9/h",
        WEBHOOK_HEADERS="Authorization: Bearer ${HOOK_CRED}; Content-Type: application/json",
    )
    register_secrets(secrets_of(settings))
    line = redact("sent Bearer sekrit-value-42, then sekrit-value-42 alone, as application/json")
    assert "sekrit" not in line and line.count("***") == 2
    assert line.endswith("as application/json"), "a content type is no secret"


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"WEBHOOK_HEADERS": "Authorization Bearer x"}, "WEBHOOK_HEADERS"),
        ({"WEBHOOK_HEADERS": "Authorization: Bearer ${NOT_SET_ANYWHERE}"}, "WEBHOOK_HEADERS"),
        ({"WEBHOOK_URL": "hooks.example.com"}, "WEBHOOK_URL"),
        ({"OPSGENIE_MODE": "write"}, "OPSGENIE_MODE"),
        ({"OPSGENIE_PRIORITIES": "P1,urgent"}, "OPSGENIE_PRIORITIES"),
        ({"OPSGENIE_LOOKBACK": "a day"}, "OPSGENIE_LOOKBACK"),
        ({"OPSGENIE_API_URL": "api.eu.opsgenie.com"}, "OPSGENIE_API_URL"),
        ({"OPSGENIE_UPDATE_PRIORITY": "P7"}, "OPSGENIE_UPDATE_PRIORITY"),
    ],
)
def test_bad_setting_stops_start_up_with_one_line(env: dict[str, str], name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "alertfleet.cli", "worker"],
        env=base_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert lines[0].startswith(f"alertfleet: invalid setting {name}")
    assert "Bearer x" not in done.stderr


def test_opsgenie_settings_parse_lists_durations_and_modes() -> None:
    settings = _settings(
        OPSGENIE_PRIORITIES="p1, P2",
        OPSGENIE_TAGS="db,team:payments",
        OPSGENIE_LOOKBACK="90m",
        OPSGENIE_POLL_INTERVAL="30s",
        OPSGENIE_MODE="Update",
        OPSGENIE_UPDATE_PRIORITY="p2",
        OPSGENIE_API_URL="https://api.eu.opsgenie.com/",
    )
    assert settings.opsgenie_priorities == ["P1", "P2"]
    assert settings.opsgenie_tags == ["db", "team:payments"]
    assert (settings.opsgenie_lookback, settings.opsgenie_poll_interval) == (5400.0, 30.0)
    assert (settings.opsgenie_mode, settings.opsgenie_update_priority) == ("update", "P2")
    assert settings.opsgenie_api_url == "https://api.eu.opsgenie.com"
    defaults = _settings()
    assert (defaults.opsgenie_mode, defaults.opsgenie_rate_limit, defaults.opsgenie_lookback) == ("notes", 100, 86400)
    assert defaults.opsgenie_update_tags == ["alertfleet:investigated"]
    assert [parse_duration(t) for t in ("24h", "7d", "15", "1.5m")] == [86400, 604800, 15, 90]
