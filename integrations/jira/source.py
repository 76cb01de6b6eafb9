"""Jira issues -> Events: which issues (JQL), what routes see (labels), and the keys that dedup them."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

from alertfleet.models import Event, WriteTarget

SOURCE = "jira"
# What the poller asks for: what the event and the routes need, not `*all` (Jira's default).
FIELDS = ["summary", "description", "created", "project", "issuetype", "priority", "labels", "components", "status"]
_ORDER_BY = re.compile(r"\s+order\s+by\s+.*$", re.IGNORECASE | re.DOTALL)


def base_jql(project: str | None, jql: str | None) -> str:
    """JIRA_JQL as given (it wins), else the project's issues that are not done."""
    if jql:
        return jql
    if not project:
        raise ValueError("set JIRA_PROJECT or JIRA_JQL")
    return f'project = "{_quoted(project)}" AND statusCategory != Done'


def poll_jql(base: str, since: datetime) -> str:
    """The base query narrowed to issues created at or after `since` (a time in the account's zone,
    at the minute: JQL's resolution), oldest first, so the cursor can follow each page."""
    where = _ORDER_BY.sub("", base).strip()
    return f'({where}) AND created >= "{since:%Y-%m-%d %H:%M}" ORDER BY created ASC, key ASC'


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def created_at(issue: dict[str, Any]) -> datetime:
    """Jira's `created` (`2026-12-02T06:30:12.345+0000`) as an aware datetime."""
    return datetime.strptime(str(issue["fields"]["created"]), "%Y-%m-%dT%H:%M:%S.%f%z")


def dedup_key(issue: dict[str, Any]) -> str:
    """One investigation per issue (a re-listed issue is a duplicate; a re-created key is not)."""
    return hashlib.sha256(f"jira:{issue['key']}:{issue['fields'].get('created', '')}".encode()).hexdigest()


def adf_text(node: Any) -> str:
    """The plain text of an Atlassian Document Format node (a v3 description), blocks on their own lines."""
    if not isinstance(node, dict):
        return str(node) if isinstance(node, str) else ""
    if node.get("type") == "text":
        return str(node.get("text", ""))
    if node.get("type") == "hardBreak":
        return "\n"
    parts = [adf_text(child) for child in node.get("content", [])]
    if node.get("type") in ("doc", "bulletList", "orderedList", "listItem", "table", "tableRow", "blockquote"):
        return "\n".join(part for part in parts if part)
    return "".join(parts)


def _names(items: Any, key: str = "name") -> str:
    return ",".join(str(item.get(key, "")) if isinstance(item, dict) else str(item) for item in items or [])


def issue_labels(issue: dict[str, Any]) -> dict[str, str]:
    """What routes match on: project, issuetype, priority, labels and components (comma-joined), status."""
    fields = issue.get("fields", {})
    labels = {
        "project": str((fields.get("project") or {}).get("key", "")),
        "issuetype": str((fields.get("issuetype") or {}).get("name", "")),
        "priority": str((fields.get("priority") or {}).get("name", "")),
        "labels": _names(fields.get("labels")),
        "components": _names(fields.get("components")),
        "status": str((fields.get("status") or {}).get("name", "")),
        "issue": str(issue.get("key", "")),
    }
    return {name: value for name, value in labels.items() if value}


def event_from_issue(issue: dict[str, Any], site_url: str) -> Event:
    """One issue as an event written back to that issue (`jira` destination, target = issue key)."""
    fields = issue.get("fields", {})
    key = str(issue["key"])
    browse = f"{site_url.rstrip('/')}/browse/{key}"
    return Event(
        source=SOURCE,
        title=f"{key}: {fields.get('summary') or '(no summary)'}",
        description=adf_text(fields.get("description")),
        group_key=f"jira:{key}",
        labels=issue_labels(issue),
        subject={"type": "jira_issue", "key": key, "id": str(issue.get("id", "")), "url": browse},
        context={"created": fields.get("created")},
        external_url=browse,
        source_ref=key,
        writeback=[WriteTarget(type=SOURCE, target=key)],
    )
