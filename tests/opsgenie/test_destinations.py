"""Fan-out: the OpsGenie write-back respects OPSGENIE_MODE; WEBHOOK_URL adds a webhook destination."""

from __future__ import annotations

import pytest

from alertfleet.integration import NotConfigured as UnknownDestination
from alertfleet.models import Event, Investigation, WriteTarget
from alertfleet.settings import Settings
from integrations.opsgenie.writer import OpsGenieWriter
from integrations.webhook.writer import WebhookWriter
from workers.destinations import build_writer, destinations_for


def _settings(**env: str) -> Settings:
    """Settings from these variables only (the test process's environment is not read)."""
    return Settings.model_validate(env)


def _investigation() -> Investigation:
    event = Event(source="opsgenie", title="X", writeback=[WriteTarget(type="opsgenie", target="alert-1")])
    return Investigation(id="i", problem_key="p", event=event)


def _pairs(targets: list[WriteTarget]) -> list[tuple[str, str]]:
    return [(t.type, t.target) for t in targets]


def test_opsgenie_alert_is_written_back_unless_read_only() -> None:
    notes = _settings(OPSGENIE_API_KEY="k")
    read_only = _settings(OPSGENIE_API_KEY="k", OPSGENIE_MODE="read-only")
    assert _pairs(destinations_for(_investigation(), notes)) == [("opsgenie", "alert-1")]
    assert destinations_for(_investigation(), read_only) == []


def test_webhook_url_adds_a_webhook_destination_next_to_slack() -> None:
    settings = _settings(SLACK_BOT_TOKEN="xoxb-1", SLACK_CHANNEL="#alerts", WEBHOOK_URL="https://hooks.example/af")
    assert _pairs(destinations_for(_investigation(), settings)) == [
        ("slack", "#alerts"),
        ("webhook", "https://hooks.example/af"),
        ("opsgenie", "alert-1"),
    ]


def test_writers_are_built_from_settings() -> None:
    update = _settings(OPSGENIE_API_KEY="k", OPSGENIE_MODE="update", OPSGENIE_UPDATE_PRIORITY="P1")
    writer = build_writer("opsgenie", update)
    assert isinstance(writer, OpsGenieWriter)
    assert (writer.mode, writer.update_priority, writer.update_tags) == ("update", "P1", ["alertfleet:investigated"])
    assert isinstance(build_writer("webhook", _settings()), WebhookWriter)


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({}, "needs OPSGENIE_API_KEY"),
        ({"OPSGENIE_API_KEY": "k", "OPSGENIE_MODE": "read-only"}, "read-only"),
    ],
)
def test_opsgenie_writer_refuses_without_key_or_in_read_only(env: dict[str, str], reason: str) -> None:
    with pytest.raises(UnknownDestination, match=reason):
        build_writer("opsgenie", _settings(**env))
