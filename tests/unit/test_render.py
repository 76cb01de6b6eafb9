from __future__ import annotations

from alertfleet.models import Event, Investigation
from integrations.slack.render import render_blocks, render_text
from workers.investigator.enrich import enrich
from workers.investigator.sections import parse_sections


def _investigation(markdown: str, resolved: bool = False) -> Investigation:
    event = Event(
        source="alertmanager",
        title="KubePodCrashLooping",
        labels={"alertname": "KubePodCrashLooping", "namespace": "production"},
    )
    result = enrich(event).model_copy(update={"sections": parse_sections(markdown), "model": "m"})
    return Investigation(id="abc", problem_key="p", event=event, result=result, resolved=resolved, status="completed")


def test_message_follows_the_holmes_format() -> None:
    text = render_text(
        _investigation(
            "# Key Findings\n- Pod restarted 5 times\n- **OOMKilled** events\n"
            "# Conclusions and Possible Root Causes\nMemory leak\n# Next Steps\n- Increase limits\n- Profile"
        )
    )
    assert text.splitlines()[0] == ":mag: *alertfleet Investigation*"
    assert "*Alert:* KubePodCrashLooping\n*Namespace:* production" in text
    assert "*Key Findings:*\n• Pod restarted 5 times\n• *OOMKilled* events" in text
    assert "*Root Cause:*\nMemory leak" in text
    assert "*Recommended Actions:*\n1. Increase limits\n2. Profile" in text


def test_blocks_respect_slack_limits_and_mark_resolution() -> None:
    blocks = render_blocks(_investigation("# Key Findings\n" + "- finding\n" * 2000, resolved=True))
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert "Resolved" in blocks[0]["text"]["text"]
    assert blocks[-1]["type"] == "context"


def test_enrichment_uses_labels_and_annotations() -> None:
    from alertfleet.models import AlertmanagerWebhook
    from integrations.alertmanager.source import event_from_webhook
    from tests.harness.alerts import webhook

    event = event_from_webhook(AlertmanagerWebhook.model_validate(webhook("DiskFull", instances=2)))
    result = enrich(event)
    assert result.mode == "enrich"
    assert "DiskFull firing" in result.sections.alert_explanation
    assert "https://runbooks.example/DiskFull" in result.sections.next_steps
    assert "http://prometheus:9090/graph" in result.sections.next_steps
    findings = result.sections.key_findings.splitlines()
    assert [line.split(" since ")[0] for line in findings] == ["- firing: instance=pod-0", "- firing: instance=pod-1"]
    assert enrich(event) == result.model_copy(), "enrichment is deterministic"
