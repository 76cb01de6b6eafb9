"""OpsGenie alert -> Event, the poll query, the keys, and the note text."""

from __future__ import annotations

from typing import Any

from alertfleet.keys import problem_key
from alertfleet.models import Event, Investigation, InvestigationResult, Sections
from integrations.opsgenie.render import NOTE_LIMIT, TRUNCATION_MARKER, render_note
from integrations.opsgenie.source import (
    alert_dedup_key,
    alert_problem_key,
    build_query,
    created_at_ms,
    event_from_alert,
)

ALERT: dict[str, Any] = {
    "id": "8418d193-2dab-4490-b331-8c02cdd196b7",
    "tinyId": "42",
    "alias": "",
    "message": "CPU above 95% on api-3",
    "status": "open",
    "tags": ["prod", "api"],
    "createdAt": "2026-11-29T10:00:00.123Z",
    "source": "prometheus",
    "priority": "P1",
    "responders": [{"type": "team", "id": "t-1", "name": "sre"}, {"type": "user", "id": "u-1"}],
    "description": "Load is high since the deploy",
    "details": {"host": "api-3", "region": "eu-west-1"},
    "entity": "api",
}


def test_alert_becomes_an_event_written_back_to_the_same_alert() -> None:
    event = event_from_alert(ALERT)
    assert (event.source, event.status, event.title) == ("opsgenie", "firing", "CPU above 95% on api-3")
    assert event.group_key == "opsgenie:8418d193-2dab-4490-b331-8c02cdd196b7"
    assert event.description == "Load is high since the deploy"
    assert event.labels == {
        "alertname": "CPU above 95% on api-3",
        "priority": "P1",
        "source": "prometheus",
        "tags": "prod,api",
        "teams": "sre",
        "opsgenie_alert_id": ALERT["id"],
        "opsgenie_tiny_id": "42",
        "entity": "api",
    }
    assert event.annotations == {"host": "api-3", "region": "eu-west-1", "description": ALERT["description"]}
    assert [(t.type, t.target) for t in event.writeback] == [("opsgenie", ALERT["id"])]
    assert event.source_ref == "42" and event.context["opsgenie"]["priority"] == "P1"


def test_keys_dedup_per_alert_and_alias_links_the_alertmanager_group() -> None:
    assert alert_dedup_key("a") == alert_dedup_key("a") != alert_dedup_key("b")
    assert alert_problem_key(ALERT) == problem_key("opsgenie:" + ALERT["id"]), "no alias: its own problem"
    group_key = '{}:{alertname="KubePodCrashLooping"}'
    linked = {**ALERT, "alias": problem_key(group_key)}
    assert alert_problem_key(linked) == problem_key(group_key), "Alertmanager's receiver alias is sha256(groupKey)"


def test_query_asks_for_open_alerts_since_the_cursor_within_filters() -> None:
    assert build_query() == "status: open"
    query = build_query(["P1", "P2"], ["team:db"], ["sre"], created_after_ms=1700000000000)
    assert query == (
        'status: open AND createdAt > 1699999999999 AND (priority: P1 OR priority: P2) AND tag: "team:db" AND teams: sre'
    )


def test_created_at_reads_both_opsgenie_and_sdk_spellings() -> None:
    assert created_at_ms({"createdAt": "2026-11-29T10:00:00.123Z"}) == 1795946400123
    assert created_at_ms({"createdAt": "2026-11-29T10:00:00.123000+00:00"}) == 1795946400123
    assert created_at_ms({"createdAt": "yesterday"}) is None and created_at_ms({}) is None


def _investigation(analysis_size: int = 0, resolved: bool = False) -> Investigation:
    sections = Sections(
        alert_explanation="CPU is saturated.",
        key_findings="- load 40\n- deploy at 09:58",
        root_causes="A hot loop in the new build." + "x" * analysis_size,
        next_steps="1. Roll back",
    )
    result = InvestigationResult(analysis="…", sections=sections, model="openai/gpt-4.1-mini", mode="llm")
    event = Event(source="opsgenie", title="CPU above 95% on api-3")
    return Investigation(id="inv-9", problem_key="p", event=event, result=result, resolved=resolved)


def test_note_has_the_holmes_sections_and_a_footer() -> None:
    note = render_note(_investigation())
    assert note.splitlines()[:3] == ["alertfleet investigation", "", "Alert: CPU above 95% on api-3"]
    for heading in ("Alert Explanation", "Key Findings", "Conclusions and Possible Root Causes", "Next Steps"):
        assert f"\n\n{heading}\n" in note
    assert note.endswith("— alertfleet · model openai/gpt-4.1-mini · investigation inv-9")
    assert render_note(_investigation(resolved=True)).startswith("alertfleet investigation — resolved")


def test_long_note_is_cut_to_the_limit_with_marker_and_footer_kept() -> None:
    note = render_note(_investigation(analysis_size=60_000))
    assert len(note) == NOTE_LIMIT
    assert TRUNCATION_MARKER in note and note.endswith("investigation inv-9")
    assert len(render_note(_investigation(analysis_size=100))) < NOTE_LIMIT
