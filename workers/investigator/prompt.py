"""The investigation prompt: what we ask the model, and in which shape."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

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


def alert_expressions(event: Event) -> list[str]:
    """The PromQL behind the alert: Prometheus puts it in the generatorURL's `g0.expr`."""
    found: list[str] = []
    for alert in event.alerts:
        if not alert.generatorURL:
            continue
        for expr in parse_qs(urlsplit(alert.generatorURL).query).get("g0.expr", []):
            if expr.strip() and expr not in found:
                found.append(expr.strip())
    return found


def user_prompt(event: Event, toolset_lines: list[str] | None = None) -> str:
    lines = [f"Investigate this {event.source} {event.status} alert: {event.title}"]
    if event.description:
        lines.append(f"Description: {event.description}")
    if event.labels:
        lines.append("Labels: " + ", ".join(f"{k}={v}" for k, v in sorted(event.labels.items())))
    if event.alerts:
        total = len(event.alerts) + event.omitted_alerts
        lines.append(f"The group holds {total} alert(s); call get_alert_group for full details.")
    for expr in alert_expressions(event)[:5]:
        lines.append(f"The alert's expression (PromQL): {expr}")
    first = event.alerts[0].annotations if event.alerts else {}
    runbook = event.annotations.get("runbook_url") or first.get("runbook_url")
    if runbook:
        lines.append(f"Runbook: {runbook}")
    if event.subject:
        lines.append(f"Subject: {event.subject}")
    lines += toolset_lines or []
    return "\n".join(lines)
