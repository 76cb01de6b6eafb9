"""GitHub test helpers: investigations of GitHub issues to write (the stub fixture is in tests/conftest.py)."""

from __future__ import annotations

from alertfleet.models import Event, Investigation, InvestigationResult, Sections, WriteTarget
from tests.conftest import GITHUB_TOKEN

__all__ = ["GITHUB_TOKEN", "REPO", "investigation"]

REPO = "acme/payments"


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
