"""Alertmanager webhook -> Event, and Alertmanager API v2 groups -> webhook-shaped bodies."""

from __future__ import annotations

from typing import Any

from alertfleet.models import AlertmanagerAlert, AlertmanagerWebhook, Event


def _title(body: AlertmanagerWebhook) -> str:
    labels = body.commonLabels or body.alerts[0].labels
    name = labels.get("alertname") or body.groupLabels.get("alertname") or "Alertmanager alert group"
    count = len(body.alerts) + body.truncatedAlerts
    return name if count == 1 else f"{name} ({count} alerts)"


def event_from_webhook(body: AlertmanagerWebhook) -> Event:
    annotations = body.commonAnnotations or body.alerts[0].annotations
    labels = body.commonLabels or body.alerts[0].labels
    return Event(
        source="alertmanager",
        status=body.status,
        title=_title(body),
        description=annotations.get("description") or annotations.get("summary", ""),
        group_key=body.groupKey or _fallback_group_key(body),
        labels=labels,
        annotations=annotations,
        alerts=body.alerts,
        external_url=body.externalURL,
        context={"receiver": body.receiver, "groupLabels": body.groupLabels},
    )


def _fallback_group_key(body: AlertmanagerWebhook) -> str:
    # Hand-made bodies may omit groupKey; group them by their group labels, as Alertmanager would.
    labels = body.groupLabels or body.commonLabels or body.alerts[0].labels
    return "{}:{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def webhook_from_api_group(group: dict[str, Any], external_url: str) -> AlertmanagerWebhook:
    """An Alertmanager API v2 alert group, shaped like the webhook that group would have sent."""
    alerts = [
        AlertmanagerAlert(
            status="firing",
            labels=alert.get("labels", {}),
            annotations=alert.get("annotations", {}),
            startsAt=alert.get("startsAt"),
            endsAt=alert.get("endsAt"),
            generatorURL=alert.get("generatorURL", ""),
            fingerprint=alert.get("fingerprint", ""),
        )
        for alert in group.get("alerts", [])
    ]
    group_labels: dict[str, str] = group.get("labels", {})
    common_labels = _common(alert.labels for alert in alerts)
    receiver = (group.get("receiver") or {}).get("name", "")
    return AlertmanagerWebhook(
        groupKey=f"{receiver}:" + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(group_labels.items())) + "}",
        status="firing",
        receiver=receiver,
        groupLabels=group_labels,
        commonLabels=common_labels,
        commonAnnotations=_common(alert.annotations for alert in alerts),
        externalURL=external_url,
        alerts=alerts,
    )


def _common(maps: Any) -> dict[str, str]:
    maps = list(maps)
    if not maps:
        return {}
    first: dict[str, str] = dict(maps[0])
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in maps[1:])}
