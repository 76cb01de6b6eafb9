"""Jira fixtures: the Cloud REST v3 stub, and investigations to write."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alertfleet.models import Event, Investigation, InvestigationResult, Sections, WriteTarget
from tests.stubs.jira import JiraStub

JIRA_EMAIL = "alertfleet-bot@example.com"
JIRA_TOKEN = "jira-api-token-0123456789"


@pytest.fixture
def jira_stub() -> Iterator[JiraStub]:
    with JiraStub(email=JIRA_EMAIL, token=JIRA_TOKEN) as stub:
        yield stub


def investigation(key: str = "OPS-1", inv_id: str = "0123456789abcdef", findings: str = "") -> Investigation:
    """A finished investigation of a Jira issue, with list-shaped sections as a model writes them."""
    event = Event(
        source="jira",
        title=f"{key}: Checkout errors",
        labels={"project": key.split("-")[0]},
        writeback=[WriteTarget(type="jira", target=key)],
    )
    sections = Sections(
        alert_explanation="Checkout returns 5xx for 4% of requests.",
        key_findings=f"- Pod restarted 5 times\n- OOMKilled events detected{findings}",
        root_causes="Memory leak in the payment client.",
        next_steps="1. Increase memory limits\n2. Profile the payment client",
    )
    result = InvestigationResult(analysis="…", sections=sections, model="openai/stub-model", mode="llm", steps=2)
    return Investigation(id=inv_id, problem_key="p", event=event, result=result, status="completed")
