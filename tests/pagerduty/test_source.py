"""Incident -> Event, the per-trigger keys, webhook signatures and the PAGERDUTY_* settings."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest

from alertfleet.keys import problem_key
from alertfleet.models import WriteTarget
from alertfleet.settings import Settings, SettingsError, load_settings
from integrations.pagerduty.source import (
    event_from_incident,
    incident_problem_key,
    sign,
    signature_valid,
    trigger_dedup_key,
)
from tests.stubs.pagerduty_spec import response_example

AM_GROUP_KEY = '{}:{alertname="KubePodCrashLooping"}'


def spec_incident(**changes: Any) -> dict[str, Any]:
    """The spec's own example incident (the shape of the held-out fixtures)."""
    incident: dict[str, Any] = copy.deepcopy(response_example("/incidents")["incidents"][0])
    incident.update(changes)
    return incident


def test_spec_example_incident_becomes_an_event_written_back_to_it() -> None:
    event = event_from_incident(spec_incident(status="triggered"))
    assert (event.source, event.status, event.title) == ("pagerduty", "firing", "The server is on fire.")
    assert event.group_key == "pagerduty:PT4KHLK"
    assert event.writeback == [WriteTarget(type="pagerduty", target="PT4KHLK")]
    assert event.labels == {
        "service": "My Mail Service",
        "service_id": "PIJ90N7",
        "urgency": "high",
        "priority": "P2",
        "escalation_policy": "Another Escalation Policy",
        "team": "Engineering",
        "incident_number": "1234",
        "pagerduty_status": "triggered",
    }
    assert event.external_url == "https://subdomain.pagerduty.com/incidents/PT4KHLK"
    assert event.context["incident"]["incident_key"] == "baf7cf21b1da41b4b0221008339ff357"


def test_resolved_incident_and_nulls_are_handled() -> None:
    event = event_from_incident(spec_incident(priority=None, teams=None, escalation_policy=None, incident_key=None))
    assert event.status == "resolved"
    assert "priority" not in event.labels and "team" not in event.labels


def test_dedup_key_is_one_per_trigger_and_separate_for_the_resolution() -> None:
    incident = spec_incident()
    assert trigger_dedup_key(incident, "firing") == trigger_dedup_key(copy.deepcopy(incident), "firing")
    assert trigger_dedup_key(incident, "firing") != trigger_dedup_key(incident, "resolved")
    retriggered = spec_incident(id="PNEW001", created_at="2015-10-07T08:00:00Z")
    assert trigger_dedup_key(incident, "firing") != trigger_dedup_key(retriggered, "firing")
    # The REST API and webhooks may spell the same instant differently.
    respelled = spec_incident(created_at="2015-10-06T17:30:42-04:00")
    assert trigger_dedup_key(incident, "firing") == trigger_dedup_key(respelled, "firing")


def test_alertmanager_dedup_key_links_to_the_alert_group_problem() -> None:
    am_key = hashlib.sha256(AM_GROUP_KEY.encode()).hexdigest()
    assert incident_problem_key(spec_incident(incident_key=am_key)) == problem_key(AM_GROUP_KEY)
    assert incident_problem_key(spec_incident(incident_key=None), alert_key=am_key) == problem_key(AM_GROUP_KEY)


def test_other_incident_keys_give_one_problem_per_incident() -> None:
    # PagerDuty reuses a check's incident_key for its next incident: that one is investigated afresh.
    assert incident_problem_key(spec_incident()) == problem_key("pagerduty:PT4KHLK")
    assert incident_problem_key(spec_incident(incident_key=None)) == problem_key("pagerduty:PT4KHLK")


def test_signature_accepts_any_of_several_v1_signatures() -> None:
    body = b'{"event": {"event_type": "incident.triggered"}}'
    good = sign("s3cret", body)
    assert signature_valid("s3cret", body, good)
    assert signature_valid("s3cret", body, f"v1=00ff, {good}")
    assert not signature_valid("s3cret", body, "v1=00ff")
    assert not signature_valid("s3cret", body + b" ", good)
    assert not signature_valid("other", body, good)
    assert not signature_valid("s3cret", body, None)
    assert not signature_valid("s3cret", body, good.replace("v1=", "v0="))


def test_settings_parse_durations_lists_and_modes() -> None:
    settings = Settings(  # type: ignore[call-arg]
        PAGERDUTY_API_KEY="k",
        PAGERDUTY_USER_EMAIL="oncall@example.com",
        PAGERDUTY_LOOKBACK="90m",
        PAGERDUTY_SERVICE_IDS="PSVC1, PSVC2",
        PAGERDUTY_URGENCIES="HIGH",
        PAGERDUTY_MODE="Read_Only",
        PAGERDUTY_API_URL="http://127.0.0.1:9/",
        PAGERDUTY_PRIORITY_MAP="critical=P1,warning=P3",
        PAGERDUTY_RATE_LIMIT="30",
    )
    assert settings.pagerduty_lookback == 5400
    assert settings.pagerduty_service_ids == ["PSVC1", "PSVC2"]
    assert settings.pagerduty_urgencies == ["high"]
    assert settings.pagerduty_mode == "read-only"
    assert settings.pagerduty_api_url == "http://127.0.0.1:9"
    assert settings.pagerduty_priority_map == {"critical": "P1", "warning": "P3"}
    assert settings.rate_limit_overrides()["pagerduty"] == "30/minute"


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"PAGERDUTY_API_KEY": "k"}, "PAGERDUTY_USER_EMAIL"),
        ({"PAGERDUTY_USER_EMAIL": "not-an-email"}, "PAGERDUTY_USER_EMAIL"),
        ({"PAGERDUTY_MODE": "loud"}, "PAGERDUTY_MODE"),
        ({"PAGERDUTY_LOOKBACK": "yesterday"}, "PAGERDUTY_LOOKBACK"),
        ({"PAGERDUTY_URGENCIES": "medium"}, "PAGERDUTY_URGENCIES"),
        ({"PAGERDUTY_UPDATE_FIELDS": "body"}, "PAGERDUTY_UPDATE_FIELDS"),
        ({"PAGERDUTY_API_URL": "api.pagerduty.com"}, "PAGERDUTY_API_URL"),
        ({"PAGERDUTY_PRIORITY_MAP": "P1"}, "PAGERDUTY_PRIORITY_MAP"),
    ],
)
def test_bad_pagerduty_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], name: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(f"invalid setting {name}:")


def test_read_only_mode_needs_no_from_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGERDUTY_API_KEY", "k")
    monkeypatch.setenv("PAGERDUTY_MODE", "read-only")
    assert load_settings().pagerduty_user_email is None
