"""Deterministic enrichment from labels and annotations, for when no model is configured (or it failed)."""

from __future__ import annotations

from alertfleet.models import Event, InvestigationResult, Sections
from alertfleet.redaction import redact_error


def _alert_lines(event: Event) -> list[str]:
    lines = []
    for alert in event.alerts[:20]:
        # Labels every alert shares say nothing about this one.
        ident = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()) if event.labels.get(k) != v)
        summary = alert.annotations.get("summary") or alert.annotations.get("description", "")
        started = f" since {alert.startsAt.isoformat()}" if alert.startsAt else ""
        lines.append(f"- {alert.status}: {ident or alert.fingerprint}{started}{' — ' + summary if summary else ''}")
    more = max(0, len(event.alerts) - 20) + event.omitted_alerts
    if more:
        lines.append(f"- … and {more} more alerts")
    return lines


def enrich(event: Event, degraded_reason: str | None = None, *, model_skipped: bool = False) -> InvestigationResult:
    """`model_skipped`: the model was not called on purpose (the hourly token budget is spent), not failed."""
    # The reason is a model provider's error text: it is stored, shown and posted, so redacted here too.
    degraded_reason = redact_error(degraded_reason) if degraded_reason else degraded_reason
    annotations = event.annotations
    first = event.alerts[0] if event.alerts else None
    summary = annotations.get("summary") or (first.annotations.get("summary") if first else "") or event.title
    description = annotations.get("description") or event.description
    explanation = summary if not description or description == summary else f"{summary}\n{description}"
    findings = _alert_lines(event) or [f"- {k}: {v}" for k, v in sorted(event.labels.items())]
    if event.status == "resolved":
        findings.insert(0, "- The alert group is resolved.")
    steps = []
    runbook = annotations.get("runbook_url") or (first.annotations.get("runbook_url") if first else None)
    if runbook:
        steps.append(f"1. Follow the runbook: {runbook}")
    generator = next((alert.generatorURL for alert in event.alerts if alert.generatorURL), "")
    if generator:
        steps.append(f"{len(steps) + 1}. Open the alert's source query: {generator}")
    steps.append(f"{len(steps) + 1}. Check recent changes to the affected service.")
    if degraded_reason is None:
        root = "No model configured: root cause not analysed."
    else:
        why = "Model not called" if model_skipped else "Model unavailable"
        root = f"{why} ({degraded_reason}): root cause not analysed."
    sections = Sections(
        alert_explanation=explanation,
        key_findings="\n".join(findings),
        root_causes=root,
        next_steps="\n".join(steps),
    )
    analysis = "\n\n".join(f"# {name}\n{body}" for name, body in sections.as_holmes().items() if body)
    return InvestigationResult(analysis=analysis, sections=sections, mode="enrich", degraded_reason=degraded_reason)
