"""OpsGenie alerts -> Events, the listAlerts query the poller sends, and the keys of each alert."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from alertfleet.keys import problem_key
from alertfleet.models import Event, WriteTarget

SOURCE = "opsgenie"
_BARE = re.compile(r"[A-Za-z0-9_.-]+")


def alert_dedup_key(alert_id: str) -> str:
    """sha256("opsgenie:" + id): however often a poll lists the alert, it is stored once."""
    return hashlib.sha256(f"opsgenie:{alert_id}".encode()).hexdigest()


def alert_group_key(alert_id: str) -> str:
    return f"opsgenie:{alert_id}"


def alert_problem_key(alert: dict[str, Any]) -> str:
    """The alias when there is one: Alertmanager's OpsGenie receiver sets it to sha256(groupKey),
    which is that group's problem key, so the alert joins the group's investigation."""
    alias = str(alert.get("alias") or "").strip()
    return alias or problem_key(alert_group_key(str(alert["id"])))


def created_at_ms(alert: dict[str, Any]) -> int | None:
    """`createdAt` in epoch milliseconds (OpsGenie's query unit), or None when absent or unreadable."""
    raw = alert.get("createdAt")
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return None
    return int(moment.timestamp() * 1000)


def _or_clause(field: str, values: Sequence[str]) -> str:
    terms = " OR ".join(f"{field}: {_quote(value)}" for value in values)
    return f"({terms})" if len(values) > 1 else terms


def _quote(value: str) -> str:
    """Bare words stay bare; anything else (spaces, colons) is quoted for OpsGenie's search."""
    return value if _BARE.fullmatch(value) else '"' + value.replace('"', '\\"') + '"'


def build_query(
    priorities: Sequence[str] = (),
    tags: Sequence[str] = (),
    teams: Sequence[str] = (),
    created_after_ms: int | None = None,
) -> str:
    """OpsGenie search syntax: open alerts, optionally since a moment and within priorities/tags/teams."""
    clauses = ["status: open"]
    if created_after_ms is not None:
        # `>` is the comparison OpsGenie documents for dates in epoch ms; `> t-1` is `>= t`.
        clauses.append(f"createdAt > {created_after_ms - 1}")
    for field, values in (("priority", priorities), ("tag", tags), ("teams", teams)):
        if values:
            clauses.append(_or_clause(field, values))
    return " AND ".join(clauses)


def _teams(alert: dict[str, Any]) -> list[str]:
    teams = [str(t.get("name") or t.get("id")) for t in alert.get("teams") or [] if isinstance(t, dict)]
    responders = alert.get("responders") or []
    teams += [str(r.get("name") or r.get("id")) for r in responders if isinstance(r, dict) and r.get("type") == "team"]
    return list(dict.fromkeys(team for team in teams if team and team != "None"))


def event_from_alert(alert: dict[str, Any]) -> Event:
    """An OpsGenie alert (list or get shape) as the fleet's Event, written back to the same alert."""
    alert_id = str(alert["id"])
    tags = [str(tag) for tag in alert.get("tags") or []]
    teams = _teams(alert)
    labels = {
        "alertname": str(alert.get("message") or "OpsGenie alert")[:130],
        "priority": str(alert.get("priority") or ""),
        "source": str(alert.get("source") or ""),
        "tags": ",".join(tags),
        "teams": ",".join(teams),
        "opsgenie_alert_id": alert_id,
        "opsgenie_tiny_id": str(alert.get("tinyId") or ""),
        "entity": str(alert.get("entity") or ""),
    }
    details = alert.get("details") if isinstance(alert.get("details"), dict) else {}
    annotations = {str(k): str(v) for k, v in (details or {}).items()}
    description = str(alert.get("description") or "")
    if description:
        annotations["description"] = description
    context_keys = ("id", "tinyId", "alias", "status", "priority", "createdAt", "count", "owner", "integration")
    return Event(
        source=SOURCE,
        status="firing",
        title=str(alert.get("message") or f"OpsGenie alert {alert_id}"),
        description=description,
        group_key=alert_group_key(alert_id),
        labels={k: v for k, v in labels.items() if v},
        annotations=annotations,
        context={"opsgenie": {k: alert[k] for k in context_keys if alert.get(k) is not None}, "tags": tags},
        source_ref=str(alert.get("tinyId") or alert_id),
        writeback=[WriteTarget(type=SOURCE, target=alert_id)],
    )
