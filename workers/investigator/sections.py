"""Model markdown -> the four HolmesGPT sections, tolerating missing or renamed headings."""

from __future__ import annotations

import re

from alertfleet.models import Sections

_HEADING = re.compile(r"^\s*(?:#{1,6}\s*(?P<h1>.+?)\s*#*|\*\*(?P<h2>[^*]+?)\*\*:?|(?P<h3>[A-Z][\w ,/&?-]{2,60}):)\s*$")

# Order matters: the first matching alias wins ("root cause" before "cause").
_ALIASES: list[tuple[str, tuple[str, ...]]] = [
    ("alert_explanation", ("alert explanation", "explanation", "summary", "overview", "what happened")),
    ("key_findings", ("key findings", "findings", "observations", "evidence", "investigation")),
    ("root_causes", ("root cause", "conclusion", "possible cause", "diagnosis", "cause")),
    ("next_steps", ("next step", "recommended action", "remediation", "actions", "recommendation", "fix")),
]


def canonical_section(heading: str) -> str | None:
    name = heading.strip().strip(":").lower()
    for field, aliases in _ALIASES:
        if any(alias in name for alias in aliases):
            return field
    return None


def parse_sections(markdown: str) -> Sections:
    """Split on headings; text before any heading (or with none at all) explains the alert."""
    found: dict[str, list[str]] = {}
    extra: dict[str, list[str]] = {}
    current: list[str] = found.setdefault("alert_explanation", [])
    for line in markdown.splitlines():
        match = _HEADING.match(line)
        if match:
            heading = (match.group("h1") or match.group("h2") or match.group("h3") or "").strip()
            field = canonical_section(heading)
            if field is not None:
                current = found.setdefault(field, [])
                continue
            if match.group("h1"):
                current = extra.setdefault(heading, [])
                continue
        current.append(line)
    text = {name: "\n".join(lines).strip() for name, lines in found.items()}
    return Sections(
        alert_explanation=text.get("alert_explanation", ""),
        key_findings=text.get("key_findings", ""),
        root_causes=text.get("root_causes", ""),
        next_steps=text.get("next_steps", ""),
        extra={name: "\n".join(lines).strip() for name, lines in extra.items() if any(lines)},
    )


def named_sections(markdown: str, names: list[str]) -> dict[str, str | None]:
    """The requested sections by their exact names (HolmesGPT's `sections`); None for one the model left out."""
    wanted = {name.strip().rstrip(":").lower(): name for name in names}
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in markdown.splitlines():
        match = _HEADING.match(line)
        heading = (match.group("h1") or match.group("h2") or match.group("h3") or "") if match else ""
        key = heading.strip().rstrip(":").lower()
        if match and key in wanted:
            current = found.setdefault(wanted[key], [])
            continue
        if current is not None:
            current.append(line)
    return {name: ("\n".join(found[name]).strip() if name in found else None) for name in names}
