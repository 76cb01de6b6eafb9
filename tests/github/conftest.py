"""GitHub fixtures: the REST stub, and investigations to write."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alertfleet.models import Event, Investigation, InvestigationResult, Sections, WriteTarget
from tests.stubs.github import GitHubStub

GITHUB_TOKEN = "ghp-test-token-0123456789"
REPO = "acme/payments"


@pytest.fixture
def github_stub() -> Iterator[GitHubStub]:
    with GitHubStub(token=GITHUB_TOKEN) as stub:
        yield stub


def investigation(number: int = 7, inv_id: str = "fedcba9876543210", findings: str = "") -> Investigation:
    event = Event(
        source="github",
        title=f"{REPO}#{number}: Checkout errors",
        labels={"repository": REPO},
        writeback=[WriteTarget(type="github", target=f"{REPO}#{number}")],
    )
    sections = Sections(
        alert_explanation="Checkout returns 5xx for 4% of requests.",
        key_findings=f"- Pod restarted 5 times{findings}",
        root_causes="Memory leak in the payment client.",
        next_steps="1. Increase memory limits",
    )
    result = InvestigationResult(analysis="…", sections=sections, model="openai/stub-model", mode="llm", steps=2)
    return Investigation(id=inv_id, problem_key="p", event=event, result=result, status="completed")
