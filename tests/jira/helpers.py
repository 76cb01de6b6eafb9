"""Jira test helpers: investigations of Jira issues to write (the stub fixture is in tests/conftest.py)."""

from __future__ import annotations

from alertfleet.models import Event, Investigation, InvestigationResult, Sections, WriteTarget
from tests.conftest import JIRA_EMAIL, JIRA_TOKEN

__all__ = ["JIRA_EMAIL", "JIRA_TOKEN", "investigation"]


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
