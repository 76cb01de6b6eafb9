"""The alertmanager toolset: the other firing alerts that share labels with this one, and its silences.

Only GET /api/v2/alerts and GET /api/v2/silences are called: alertfleet never creates or expires a silence.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from alertfleet.models import Event
from alertfleet.toolset_config import AlertmanagerSpec
from workers.investigator.toolsets import Tool, Toolset, int_arg, params
from workers.investigator.toolsets.http_json import get_json

# Labels every alert has or that say what fired, not where: sharing them relates nothing.
_NOT_RELATING = {"alertname", "severity", "prometheus", "alertstate", "__name__"}


def _event_labels(event: Event) -> list[dict[str, str]]:
    return [alert.labels for alert in event.alerts] or [event.labels]


def _shared(mine: list[dict[str, str]], other: dict[str, str]) -> dict[str, str]:
    best: dict[str, str] = {}
    for labels in mine:
        shared = {k: v for k, v in labels.items() if k not in _NOT_RELATING and other.get(k) == v}
        if len(shared) > len(best):
            best = shared
    return best


def related_alerts(spec: AlertmanagerSpec, timeout: float, event: Event, arguments: dict[str, Any]) -> str:
    limit = int_arg(arguments, "limit", 30, 1, 200)
    query = {"active": "true", "silenced": "false", "inhibited": "false"}
    alerts = get_json(spec.url, "/api/v2/alerts", query, spec.headers, timeout) or []
    own = {alert.fingerprint for alert in event.alerts if alert.fingerprint}
    own_labels = {tuple(sorted(labels.items())) for labels in _event_labels(event)}
    related = []
    for alert in alerts:
        labels = alert.get("labels", {})
        if alert.get("fingerprint") in own or tuple(sorted(labels.items())) in own_labels:
            continue
        shared = _shared(_event_labels(event), labels)
        if shared:
            related.append((len(shared), shared, alert))
    related.sort(key=lambda item: -item[0])
    if not related:
        return f"no other firing alert shares labels with this one ({len(alerts)} active alerts checked)"
    lines = [f"{len(related)} firing alert(s) share labels with this one"]
    for _count, shared, alert in related[:limit]:
        labels = alert.get("labels", {})
        summary = (alert.get("annotations") or {}).get("summary", "")
        common = ", ".join(f"{k}={v}" for k, v in sorted(shared.items()))
        lines.append(
            f"- {labels.get('alertname', '?')} (severity={labels.get('severity', '-')}) since {alert.get('startsAt')}; "
            f"shares {common}{'; ' + summary if summary else ''}"
        )
    return "\n".join(lines)


def _matches(matcher: dict[str, Any], labels: dict[str, str]) -> bool:
    value = labels.get(str(matcher.get("name")), "")
    pattern = str(matcher.get("value", ""))
    hit = re.fullmatch(pattern, value) is not None if matcher.get("isRegex") else value == pattern
    return hit if matcher.get("isEqual", True) else not hit


def silences(spec: AlertmanagerSpec, timeout: float, event: Event, arguments: dict[str, Any]) -> str:
    everything = bool(arguments.get("all"))
    found = get_json(spec.url, "/api/v2/silences", None, spec.headers, timeout) or []
    active = [s for s in found if (s.get("status") or {}).get("state") == "active"]
    mine = _event_labels(event)
    matching = [
        s
        for s in active
        if everything or any(all(_matches(m, labels) for m in s.get("matchers", [])) for labels in mine)
    ]
    if not matching:
        return f"no active silence matches this alert ({len(active)} active silences checked)"
    lines = [f"{len(matching)} active silence(s) {'in total' if everything else 'match this alert'}"]
    for silence in matching:
        matchers = ", ".join(
            f"{m.get('name')}{'=' if m.get('isEqual', True) else '!'}{'~' if m.get('isRegex') else ''}{m.get('value')}"
            for m in silence.get("matchers", [])
        )
        lines.append(
            f"- {silence.get('id')}: {{{matchers}}} by {silence.get('createdBy')} until {silence.get('endsAt')}"
            f" — {silence.get('comment', '')}"
        )
    return "\n".join(lines)


def alertmanager_toolset(spec: AlertmanagerSpec, timeout: float) -> Toolset:
    tools = (
        Tool(
            "alertmanager_related_alerts",
            "Other alerts firing now in Alertmanager that share labels (namespace, service, instance...) "
            "with the alert under investigation, most labels in common first.",
            params({"limit": {"type": "integer", "description": "At most this many (default 30)."}}),
            partial(related_alerts, spec, timeout),
        ),
        Tool(
            "alertmanager_silences",
            "Active Alertmanager silences whose matchers match the alert under investigation (all=true: every active silence).",
            params({"all": {"type": "boolean"}}),
            partial(silences, spec, timeout),
        ),
    )
    return Toolset("alertmanager", True, tools, detail=spec.url)
