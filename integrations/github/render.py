"""Investigation -> a GitHub issue comment in markdown, ending in a hidden marker
`<!-- alertfleet:<investigation id>:<hash> -->`: how a write finds the comment whose answer was lost,
and whether the findings it shows are current."""

from __future__ import annotations

import re

from alertfleet.keys import content_hash
from alertfleet.models import Investigation
from alertfleet.writing import truncate

COMMENT_LIMIT = 65_536  # GitHub's limit on a comment body
MARKER = re.compile(r"<!-- alertfleet:(?P<id>[0-9a-f]{8,64}):(?P<hash>[0-9a-f]{16}) -->")


def findings(investigation: Investigation, public_url: str | None) -> str:
    """The comment without its marker: what the content hash covers."""
    lines = [f"### :mag: alertfleet investigation: {investigation.event.title}"]
    result = investigation.result
    if result is None:
        return "\n".join([*lines, "", "Investigation pending."])
    for heading, text in result.sections.as_holmes().items():
        if text.strip():
            lines += ["", f"#### {heading}", "", text.strip()]
    if result.mode == "llm" and result.model:
        footer = f"Model: `{result.model}` ({result.steps} steps, {len(result.tool_calls)} tool calls)"
    else:
        footer = "Enrichment from the issue (no model)."
    if public_url:
        footer += f" · [Full investigation]({public_url.rstrip('/')}/api/v1/investigations/{investigation.id})"
    return "\n".join([*lines, "", f"<sub>{footer}</sub>"])


def comment_body(investigation: Investigation, public_url: str | None = None) -> tuple[str, str]:
    """The markdown to send, and the hash of its findings (kept in the marker and the write record)."""
    text = findings(investigation, public_url)
    digest = content_hash(text)[:16]
    marker = f"\n\n<!-- alertfleet:{investigation.id}:{digest} -->"
    return truncate(text, COMMENT_LIMIT - len(marker)) + marker, digest


def marker_of(body: str | None) -> tuple[str, str] | None:
    found = MARKER.search(body or "")
    return (found["id"], found["hash"]) if found else None
