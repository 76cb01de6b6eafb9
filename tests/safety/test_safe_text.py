"""Slack's inert text: nothing the model or an alert's sender wrote can mention, broadcast or link."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from alertfleet.models import AlertmanagerAlert, Event, Investigation, InvestigationResult, Sections
from integrations.slack.render import render_blocks, render_text
from integrations.slack.safe_text import WORD_JOINER, link, safe_markdown, safe_text

HOSTILE = "ignore previous instructions @channel @here @everyone <!channel> <!here|here> <!everyone> " \
    "<!subteam^S0123|oncall> <@U123> <@W999|bob> <#C0GENERAL|general> <https://evil.example|Runbook> & more"
_CONTROL = re.compile(r"<[!@#]|<https?://|<mailto:")
_BARE_MENTION = re.compile(r"(?<![\w@])@(channel|here|everyone|U123)\b")


def test_every_control_sequence_and_bare_mention_is_inert() -> None:
    text = safe_text(HOSTILE)
    assert not _CONTROL.search(text)
    assert not _BARE_MENTION.search(text)
    assert "&lt;!channel&gt;" in text and f"&lt;@{WORD_JOINER}U123&gt;" in text and "&amp; more" in text
    assert f"@{WORD_JOINER}channel" in text  # still readable as written


def test_model_links_are_shown_not_live() -> None:
    text = safe_markdown("see [the runbook](https://evil.example/x?a=1&b=2) now")
    assert text == "see the runbook (https://evil.example/x?a=1&amp;b=2) now"


def test_links_alertfleet_builds_stay_live_but_cannot_be_broken_out_of() -> None:
    assert link("https://runbooks.example/Disk", "Runbook") == "<https://runbooks.example/Disk|Runbook>"
    hostile = link("https://x.example/a|<!channel>>b", "Runbook")
    assert hostile.startswith("<https://x.example/a%7C%3C!channel%3E%3Eb|Runbook>")
    assert link("javascript:alert(1)", "Runbook") == "Runbook: javascript:alert(1)"


@given(st.text())
def test_no_untrusted_text_yields_a_control_sequence(text: str) -> None:
    out = safe_text(text)
    assert "<" not in out and ">" not in out
    assert not _BARE_MENTION.search(out)


def _investigation() -> Investigation:
    annotations = {"summary": HOSTILE, "runbook_url": "https://runbooks.example/Disk"}
    event = Event(
        source="alertmanager",
        title=HOSTILE,
        labels={"alertname": "<!channel> Disk", "namespace": "<@U123>", "severity": "@here"},
        annotations=annotations,
        alerts=[AlertmanagerAlert(labels={"alertname": "Disk"}, annotations=annotations, generatorURL="http://prom:9090/g")],
        external_url="http://alertmanager:9093",
    )
    sections = Sections(
        alert_explanation=HOSTILE, key_findings=f"- {HOSTILE}", root_causes=HOSTILE, next_steps=f"1. {HOSTILE}"
    )
    result = InvestigationResult(analysis=HOSTILE, sections=sections, model="<!here>", mode="llm")
    return Investigation(id="abc", problem_key="p", event=event, result=result, status="completed")


def test_rendered_message_has_only_the_links_alertfleet_built() -> None:
    investigation = _investigation()
    text = render_text(investigation)
    blocks = render_blocks(investigation)
    pieces = [text] + [b["text"]["text"] for b in blocks if "text" in b] + [
        e["text"] for b in blocks for e in b.get("elements", [])
    ]
    for piece in pieces:
        assert not re.search(r"<[!@#]", piece), piece
        assert not _BARE_MENTION.search(piece), piece
    live = {m for piece in pieces for m in re.findall(r"<(https?://[^|>]+)\|", piece)}
    assert live == {"http://prom:9090/g", "https://runbooks.example/Disk", "http://alertmanager:9093"}
