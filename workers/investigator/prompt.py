"""The investigation prompt: what we ask the model, and in which shape.

Everything the alert's sender wrote (title, description, labels, annotations, subject, expressions)
reaches the model fenced as untrusted data (workers/investigator/fencing.py); only our own sentences
stand outside the fence.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from alertfleet.models import Event
from workers.investigator.fencing import UNTRUSTED_DATA_RULE, fence

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
A numbered list of concrete actions for the on-call engineer.

""" + UNTRUSTED_DATA_RULE


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


def alert_text(event: Event) -> str:
    """What the alert's sender wrote, line by line (the part of the prompt that goes inside the fence)."""
    lines = [f"Alert: {event.title}"]
    if event.description:
        lines.append(f"Description: {event.description}")
    if event.labels:
        lines.append("Labels: " + ", ".join(f"{k}={v}" for k, v in sorted(event.labels.items())))
    first = event.alerts[0].annotations if event.alerts else {}
    annotations = {**first, **event.annotations}
    shown = {k: v for k, v in sorted(annotations.items()) if k != "runbook_url"}
    if shown:
        lines.append("Annotations: " + ", ".join(f"{k}={v}" for k, v in shown.items()))
    for expr in alert_expressions(event)[:5]:
        lines.append(f"The alert's expression (PromQL): {expr}")
    runbook = annotations.get("runbook_url")
    if runbook:
        lines.append(f"Runbook: {runbook}")
    if event.subject:
        lines.append(f"Subject: {event.subject}")
    return "\n".join(lines)


def user_prompt(event: Event, toolset_lines: list[str] | None = None) -> str:
    lines = [
        f"Investigate this {event.source} {event.status} alert. What its sender wrote follows, fenced as data:",
        fence("alert", alert_text(event)),
    ]
    if event.alerts:
        total = len(event.alerts) + event.omitted_alerts
        lines.append(f"The group holds {total} alert(s); call get_alert_group for full details.")
    lines += toolset_lines or []
    return "\n".join(lines)
