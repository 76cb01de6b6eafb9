"""Realistic Alertmanager webhook bodies for tests."""

from __future__ import annotations

import hashlib
from typing import Any


def alert(name: str, instance: str, status: str = "firing", **labels: str) -> dict[str, Any]:
    all_labels = {"alertname": name, "instance": instance, "severity": "critical", "namespace": "production"}
    all_labels.update(labels)
    fingerprint = hashlib.sha256(repr(sorted(all_labels.items())).encode()).hexdigest()[:16]
    return {
        "status": status,
        "labels": all_labels,
        "annotations": {
            "summary": f"{name} on {instance}",
            "description": f"{instance} has been failing for 5 minutes",
            "runbook_url": f"https://runbooks.example/{name}",
        },
        "startsAt": "2026-11-29T10:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-29T10:30:00Z",
        "generatorURL": f"http://prometheus:9090/graph?g0.expr=up%7Bjob%3D%22{name}%22%7D",
        "fingerprint": fingerprint,
    }


def webhook(
    name: str = "KubePodCrashLooping", instances: int = 1, status: str = "firing", group: str | None = None
) -> dict[str, Any]:
    group = group or name
    alerts = [alert(name, f"pod-{i}", status) for i in range(instances)]
    return {
        "version": "4",
        "groupKey": '{}:{alertname="' + group + '"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "alertfleet",
        "groupLabels": {"alertname": group},
        "commonLabels": {"alertname": name, "severity": "critical", "namespace": "production"},
        "commonAnnotations": {"summary": f"{name} firing", "runbook_url": f"https://runbooks.example/{name}"},
        "externalURL": "http://alertmanager:9093",
        "alerts": alerts,
    }
