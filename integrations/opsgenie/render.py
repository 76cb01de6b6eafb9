"""Investigation -> an OpsGenie alert note: plain text, within OpsGenie's note length limit."""

from __future__ import annotations

from alertfleet.models import Investigation
from alertfleet.writing import truncate

# OpsGenie documents notes as limited to 25,000 characters (the vendored spec states no maxLength).
NOTE_LIMIT = 25_000
TRUNCATION_MARKER = "\n… (truncated by alertfleet; the full analysis is in the investigation record)"

_HEADINGS = (
    ("alert_explanation", "Alert Explanation"),
    ("key_findings", "Key Findings"),
    ("root_causes", "Conclusions and Possible Root Causes"),
    ("next_steps", "Next Steps"),
)


def footer_marker(investigation: Investigation) -> str:
    """How every note of this investigation ends: what finds a note whose record was lost."""
    return f"investigation {investigation.id}"


def _footer(investigation: Investigation) -> str:
    result = investigation.result
    by = f"model {result.model}" if result is not None and result.model else "enrichment (no model)"
    return f"\n\n— alertfleet · {by} · {footer_marker(investigation)}"


def render_note(investigation: Investigation, limit: int = NOTE_LIMIT) -> str:
    """The four HolmesGPT sections as plain text; the footer (with the investigation id) always survives."""
    header = "alertfleet investigation" + (" — resolved" if investigation.resolved else "")
    chunks = [header, f"Alert: {investigation.event.title}"]
    result = investigation.result
    if result is None:
        chunks.append("Investigation pending…")
    else:
        sections = result.sections
        for attribute, heading in _HEADINGS:
            body = str(getattr(sections, attribute)).strip()
            if body:
                chunks.append(f"{heading}\n{body}")
        for heading, body in sections.extra.items():
            if body.strip():
                chunks.append(f"{heading}\n{body.strip()}")
        if result.degraded_reason:
            chunks.append(f"(model unavailable: {result.degraded_reason})")
    footer = _footer(investigation)
    return truncate("\n\n".join(chunks), limit - len(footer), TRUNCATION_MARKER) + footer
