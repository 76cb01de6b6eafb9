"""Investigation -> a PagerDuty incident note: plain text, at most 25,000 characters, with a marker.

The marker `[alertfleet:<investigation id>:<ref>]` ends every note, so a write can find a note it
already added (a retry after a timeout whose note did reach PagerDuty) instead of adding another.
"""

from __future__ import annotations

from alertfleet.models import Investigation
from alertfleet.writing import truncate

NOTE_LIMIT = 25_000  # PagerDuty's limit on a note's content
_FACT_LABELS = (
    ("service", "Service"),
    ("namespace", "Namespace"),
    ("severity", "Severity"),
    ("urgency", "Urgency"),
    ("priority", "Priority"),
)


def result_link(investigation: Investigation, public_url: str | None) -> str | None:
    """Where the full result lives: `ALERTFLEET_PUBLIC_URL/api/v1/investigations/<id>`, when configured."""
    if not public_url:
        return None
    return f"{public_url.rstrip('/')}/api/v1/investigations/{investigation.id}"


def note_marker(investigation: Investigation, ref: str) -> str:
    return f"[alertfleet:{investigation.id}:{ref}]"


def note_body(investigation: Investigation) -> str:
    """The findings without the footer; the write's content hash covers exactly this text.

    Resolution and alert counts are left out on purpose: notes are append-only, and a state change
    PagerDuty already shows is not worth a second note.
    """
    event = investigation.event
    lines = [f"alertfleet investigation: {event.labels.get('alertname') or event.title}"]
    facts = [f"{name}: {event.labels[label]}" for label, name in _FACT_LABELS if event.labels.get(label)]
    if facts:
        lines.append(" · ".join(facts))
    result = investigation.result
    if result is None:
        return "\n".join([*lines, "", "Investigation pending."])
    for heading, text in result.sections.as_holmes().items():
        if text.strip():
            lines += ["", heading.upper(), text.strip()]
    if result.mode == "llm" and result.model:
        lines += ["", f"Model: {result.model} ({result.steps} steps, {len(result.tool_calls)} tool calls)"]
    elif result.degraded_reason:
        lines += ["", f"Model unavailable ({result.degraded_reason}): enrichment from the alert's labels only."]
    else:
        lines += ["", "No model configured: enrichment from the alert's labels only."]
    return "\n".join(lines)


def render_note(
    investigation: Investigation, ref: str, public_url: str | None = None, *, follow_up: bool = False
) -> str:
    """Body + link + marker, cut to NOTE_LIMIT with a marker that points at the full result."""
    link = result_link(investigation, public_url)
    footer = "\n\n" + "\n".join([*([f"Full result: {link}"] if link else []), note_marker(investigation, ref)])
    body = ("Updated findings — " if follow_up else "") + note_body(investigation)
    where = link or f"investigation {investigation.id} in alertfleet"
    body = truncate(body, NOTE_LIMIT - len(footer), f"\n… (truncated; full result: {where})")
    return body + footer
