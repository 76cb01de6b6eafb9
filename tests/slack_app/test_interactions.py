"""The buttons under an investigation message: Re-investigate, Helpful, Not helpful."""

from __future__ import annotations

import httpx

from tests.conftest import Fleet
from tests.e2e.test_pipeline import _investigation
from tests.harness.processes import wait_for
from tests.slack_app.conftest import click, post_alert
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub
from tests.stubs.slack_socket import block_actions


def test_reinvestigate_asks_the_model_again_updates_the_message_and_keeps_the_old_findings_in_the_thread(
    app_fleet: Fleet, app_slack: SlackStub, app_model: ModelStub
) -> None:
    posted = post_alert(app_fleet, app_slack, "Reinvestigated")
    investigations_before = [c for c in app_model.completions if "Reinvestigated" in str(c)]
    updates_before = next(m for m in app_slack.messages if m["ts"] == posted.ts)["update_count"]
    old_text = next(m for m in app_slack.messages if m["ts"] == posted.ts)["text"]

    response = click(
        app_fleet, block_actions("alertfleet_reinvestigate", posted.investigation_id, posted.channel, posted.ts)
    )
    assert response.status_code == 200 and response.json()["stored"] == 1, response.text

    def updated() -> bool:
        return next(m for m in app_slack.messages if m["ts"] == posted.ts)["update_count"] > updates_before

    assert wait_for(updated, 60), app_fleet.logs()
    assert len([c for c in app_model.completions if "Reinvestigated" in str(c)]) > len(investigations_before)
    message = next(m for m in app_slack.messages if m["ts"] == posted.ts)
    assert "investigated 2 times" in str(message["blocks"])
    assert wait_for(lambda: len(app_slack.thread_replies(posted.ts)) == 1, 30), app_fleet.logs()
    previous = app_slack.thread_replies(posted.ts)[0]["text"]
    assert "The findings before it" in previous and old_text.split("\n")[0] in previous
    assert _investigation(app_fleet, posted.investigation_id)["runs"] == 2
    assert app_slack.violations == []


def test_helpful_is_recorded_on_the_investigation_and_counted(app_fleet: Fleet, app_slack: SlackStub) -> None:
    posted = post_alert(app_fleet, app_slack, "RatedHelpful")
    response = click(app_fleet, block_actions("alertfleet_helpful", posted.investigation_id, posted.channel, posted.ts))
    assert response.status_code == 200, response.text
    assert wait_for(lambda: _investigation(app_fleet, posted.investigation_id)["feedback"], 30), app_fleet.logs()
    feedback = _investigation(app_fleet, posted.investigation_id)["feedback"]
    assert isinstance(feedback, list) and len(feedback) == 1
    assert feedback[0]["value"] == "helpful" and feedback[0]["user"] == "jane" and feedback[0]["at"]

    # The same person changing their mind replaces their rating; the counter counts both clicks.
    click(app_fleet, block_actions("alertfleet_not_helpful", posted.investigation_id, posted.channel, posted.ts))
    assert wait_for(
        lambda: _investigation(app_fleet, posted.investigation_id)["feedback"][0]["value"] == "not_helpful", 30
    )  # type: ignore[index]
    metrics = httpx.get(f"{app_fleet.ingest_url}/metrics", timeout=5).text
    lines = [line for line in metrics.splitlines() if line.startswith("alertfleet_feedback_total{")]
    assert any('value="helpful"' in line and line.endswith(" 1.0") for line in lines), lines
    assert any('value="not_helpful"' in line for line in lines), lines
    assert len(app_slack.thread_replies(posted.ts)) == 0


def test_a_click_on_a_message_that_is_not_ours_does_nothing(app_fleet: Fleet, app_slack: SlackStub) -> None:
    posted = post_alert(app_fleet, app_slack, "Foreign")
    click(app_fleet, block_actions("alertfleet_helpful", posted.investigation_id, posted.channel, "1700000000.000001"))
    assert not wait_for(lambda: bool(_investigation(app_fleet, posted.investigation_id)["feedback"]), 3)
