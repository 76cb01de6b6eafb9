"""Investigation -> a Jira comment in Atlassian Document Format (Cloud REST v3 takes nothing else).

Headings for the title and each of HolmesGPT's sections, bullet and numbered lists where the model
wrote them, a link to the full investigation, and a last paragraph `[alertfleet:<id>:<hash>]`: the
marker a write looks for when its answer was lost, and the hash of what it says (so a found comment
whose findings are current is left alone).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from alertfleet.keys import content_hash
from alertfleet.models import Investigation
from alertfleet.writing import truncate

SECTION_LIMIT = 6_000  # characters per section: four of them stay well under Jira's 32,767 per comment
_BULLET = re.compile(r"^\s*(?:[-*•])\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")
MARKER = re.compile(r"\[alertfleet:(?P<id>[0-9a-f]{8,64}):(?P<hash>[0-9a-f]{16})\]")


def text(value: str, href: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value}
    if href:
        node["marks"] = [{"type": "link", "attrs": {"href": href}}]
    return node


def paragraph(*nodes: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(nodes)}


def heading(level: int, value: str) -> dict[str, Any]:
    return {"type": "heading", "attrs": {"level": level}, "content": [text(value)]}


def _list(kind: str, items: list[str]) -> dict[str, Any]:
    return {"type": kind, "content": [{"type": "listItem", "content": [paragraph(text(i))]} for i in items]}


def _line(line: str) -> tuple[str, str]:
    """(the block a line belongs to, its text): `- x` bullets, `1. x` numbered items, other text."""
    if found := _BULLET.match(line):
        return "bulletList", found.group(1).strip()
    if found := _NUMBERED.match(line):
        return "orderedList", found.group(1).strip()
    return ("paragraph", line.strip()) if line.strip() else ("", "")


def blocks(section: str) -> list[dict[str, Any]]:
    """A section's text as ADF blocks: runs of `- x` / `1. x` lines become lists, other runs paragraphs."""
    out: list[dict[str, Any]] = []
    lines = (_line(line) for line in truncate(section.strip(), SECTION_LIMIT).splitlines())
    for kind, run in itertools.groupby(lines, key=lambda pair: pair[0]):
        items = [item for _, item in run if item]
        if kind and items:
            out.append(paragraph(text(" ".join(items))) if kind == "paragraph" else _list(kind, items))
    return out


def result_link(investigation: Investigation, public_url: str | None) -> str | None:
    return f"{public_url.rstrip('/')}/api/v1/investigations/{investigation.id}" if public_url else None


def findings(investigation: Investigation, public_url: str | None) -> list[dict[str, Any]]:
    """The comment without its marker: what the content hash covers."""
    event = investigation.event
    content = [heading(2, f"alertfleet investigation: {event.title}")]
    result = investigation.result
    if result is None:
        return [*content, paragraph(text("Investigation pending."))]
    for name, section in result.sections.as_holmes().items():
        if section.strip():
            content += [heading(3, name), *blocks(section)]
    if result.mode == "llm" and result.model:
        content.append(
            paragraph(text(f"Model: {result.model} ({result.steps} steps, {len(result.tool_calls)} tool calls)"))
        )
    else:
        content.append(paragraph(text("Enrichment from the issue's fields (no model).")))
    link = result_link(investigation, public_url)
    if link:
        content.append(paragraph(text("Full investigation", link)))
    return content


def comment_body(investigation: Investigation, public_url: str | None = None) -> tuple[dict[str, Any], str]:
    """The ADF document to send, and the hash of its findings (kept in the marker and the write record)."""
    content = findings(investigation, public_url)
    digest = content_hash(content)[:16]
    marker = paragraph(text(f"[alertfleet:{investigation.id}:{digest}]"))
    return {"type": "doc", "version": 1, "content": [*content, marker]}, digest


def marker_of(body: Any) -> tuple[str, str] | None:
    """(investigation id, findings hash) of an alertfleet comment body, or None for anyone else's."""
    from integrations.jira.source import adf_text

    found = MARKER.search(adf_text(body) if isinstance(body, dict) else str(body or ""))
    return (found["id"], found["hash"]) if found else None
