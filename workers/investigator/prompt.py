"""The investigation prompt: what we ask the model, and in which shape."""

from __future__ import annotations

from alertfleet.models import Event

SYSTEM_PROMPT = """You are alertfleet, an on-call assistant investigating production alerts.
Use the tools to gather facts before concluding; never invent data a tool did not return.
Answer in markdown with exactly these headings, in this order:
# Alert Explanation
One or two sentences on what the alert means.
# Key Findings
Bullet points of the facts you found.
# Conclusions and Possible Root Causes
The most likely causes, most likely first.
# Next Steps
A numbered list of concrete actions for the on-call engineer."""


def user_prompt(event: Event) -> str:
    lines = [f"Investigate this {event.source} {event.status} alert: {event.title}"]
    if event.description:
        lines.append(f"Description: {event.description}")
    if event.labels:
        lines.append("Labels: " + ", ".join(f"{k}={v}" for k, v in sorted(event.labels.items())))
    if event.alerts:
        total = len(event.alerts) + event.omitted_alerts
        lines.append(f"The group holds {total} alert(s); call get_alert_group for full details.")
    if event.subject:
        lines.append(f"Subject: {event.subject}")
    return "\n".join(lines)
