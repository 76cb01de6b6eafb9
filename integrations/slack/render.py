"""Investigation -> Slack Block Kit blocks and a plain-text fallback, in HolmesGPT's message format.

Every piece of text that did not come from alertfleet itself — the model's findings, alert names,
labels and annotations — goes through integrations/slack/safe_text.py, so none of it can mention,
broadcast or link; the only live links are the ones `_links` builds.
"""

from __future__ import annotations

import re
from typing import Any

from alertfleet.models import Investigation
from alertfleet.usage import usage_footer
from alertfleet.writing import truncate
from integrations.slack.app_blocks import actions_block
from integrations.slack.safe_text import link, safe_markdown, safe_text

SECTION_LIMIT = 3000  # Block Kit section text limit
TEXT_LIMIT = 39_000  # chat.postMessage text limit is 40,000
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def to_mrkdwn(markdown: str) -> str:
    """Markdown as models write it -> inert Slack mrkdwn (bold, headings; links shown, not live)."""
    text = _BOLD.sub(r"*\1*", safe_markdown(markdown))
    return re.sub(r"^#{1,6}\s*(.+)$", r"*\1*", text, flags=re.MULTILINE)


def _items(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    listed = [_BULLET.sub("", line) for line in lines if _BULLET.match(line)]
    return listed or lines


def bullets(text: str) -> str:
    return "\n".join(f"• {to_mrkdwn(item)}" for item in _items(text))


def numbered(text: str) -> str:
    return "\n".join(f"{n}. {to_mrkdwn(item)}" for n, item in enumerate(_items(text), start=1))


def _header(investigation: Investigation) -> str:
    prefix = ":white_check_mark: *Resolved* — " if investigation.resolved else ""
    return f"{prefix}:mag: *alertfleet Investigation*"


def _facts(investigation: Investigation) -> str:
    event = investigation.event
    labels = event.labels
    lines = [f"*Alert:* {safe_text(labels.get('alertname') or event.title)}"]
    for label, name in (("namespace", "Namespace"), ("severity", "Severity")):
        if labels.get(label):
            lines.append(f"*{name}:* {safe_text(labels[label])}")
    if len(event.alerts) + event.omitted_alerts > 1:
        lines.append(f"*Alerts:* {len(event.alerts) + event.omitted_alerts}")
    return "\n".join(lines)


def message_parts(investigation: Investigation) -> list[tuple[str, str]]:
    """(heading, body) pairs shared by blocks and the text fallback."""
    result = investigation.result
    if result is None:
        return [("", "Investigation pending…")]
    sections = result.sections
    parts: list[tuple[str, str]] = []
    if sections.alert_explanation:
        parts.append(("", to_mrkdwn(sections.alert_explanation)))
    if sections.key_findings:
        parts.append(("*Key Findings:*", bullets(sections.key_findings)))
    if sections.root_causes:
        parts.append(("*Root Cause:*", to_mrkdwn(sections.root_causes)))
    if sections.next_steps:
        parts.append(("*Recommended Actions:*", numbered(sections.next_steps)))
    return parts


def _links(investigation: Investigation) -> str:
    event = investigation.event
    links = []
    generator = next((alert.generatorURL for alert in event.alerts if alert.generatorURL), "")
    if generator:
        links.append(link(generator, "Source"))
    runbook = event.annotations.get("runbook_url")
    if runbook:
        links.append(link(runbook, "Runbook"))
    if event.external_url:
        links.append(link(event.external_url, "Alertmanager"))
    result = investigation.result
    if result and result.model:
        # `model · N calls · T tokens · $0.0123 · 14 s` (alertfleet/usage.py: the API's numbers)
        mode = safe_text(usage_footer(result.model, result.usage, result.duration_seconds))
    else:
        mode = "enrichment (no model)"
    calls = [f"{len(result.tool_calls)} tool call{'s' if len(result.tool_calls) != 1 else ''}"] if result and result.mode == "llm" else []
    runs = [f"investigated {investigation.runs} times"] if investigation.runs > 1 else []
    partial = [f"partial answer ({safe_text(result.partial_reason or '')})"] if result and result.partial else []
    return " · ".join([*links, f"{mode}", *calls, *partial, *runs, f"id `{safe_text(investigation.id)}`"])


def render_text(investigation: Investigation) -> str:
    chunks = [_header(investigation), _facts(investigation)]
    for heading, body in message_parts(investigation):
        chunks.append(f"{heading}\n{body}" if heading else body)
    return truncate("\n\n".join(chunks), TEXT_LIMIT)


def render_blocks(investigation: Investigation, buttons: bool = False) -> list[dict[str, Any]]:
    """`buttons` (the Slack app is set up): Re-investigate, Helpful and Not helpful under the findings."""
    def section(text: str) -> dict[str, Any]:
        return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}}

    blocks = [section(_header(investigation)), section(_facts(investigation))]
    for heading, body in message_parts(investigation):
        blocks.append(section(f"{heading}\n{body}" if heading else body))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _links(investigation)}]})
    if buttons and investigation.result is not None:
        blocks.append(actions_block(investigation.id))
    return blocks
