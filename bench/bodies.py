"""Realistic Alertmanager v4 webhook bodies, every one distinct, made without JSON work per request.

Each template is a real-looking notification serialised once with a marker where the unique id goes
(groupKey, the pod label, every alert fingerprint); a request is then one `bytes.join`. The id has a
fixed width, so a template's Content-Length is fixed too and the whole request is pre-encoded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from itertools import count
from typing import Any

MARKER = "@@ID@@"
ID_WIDTH = 15  # 15 hex digits + one alert-index digit = Alertmanager's 16-hex fingerprint
PATH = "/api/webhooks/alertmanager"

_ALERTS: list[tuple[str, str, str, str]] = [
    # alertname, severity, summary, description
    (
        "KubePodCrashLooping",
        "warning",
        "Pod is crash looping.",
        'Pod {ns}/{pod} ({container}) is in waiting state (reason: "CrashLoopBackOff") on cluster {cluster}.',
    ),
    (
        "KubePodNotReady",
        "warning",
        "Pod has been in a non-ready state for more than 15 minutes.",
        "Pod {ns}/{pod} has been in a non-ready state for longer than 15 minutes on cluster {cluster}.",
    ),
    (
        "KubeContainerWaiting",
        "warning",
        "Pod container waiting longer than 1 hour",
        "pod/{pod} in namespace {ns} on container {container} has been in waiting state for longer "
        'than 1 hour. (reason: "ImagePullBackOff") on cluster {cluster}.',
    ),
    (
        "CPUThrottlingHigh",
        "info",
        "Processes experience elevated CPU throttling.",
        "42.7% throttling of CPU in namespace {ns} for container {container} in pod {pod} on cluster {cluster}.",
    ),
    (
        "KubeMemoryOvercommit",
        "critical",
        "Cluster has overcommitted memory resource requests.",
        "Cluster {cluster} has overcommitted memory resource requests for Pods by 3.21 bytes and cannot "
        "tolerate node failure.",
    ),
    (
        "TargetDown",
        "critical",
        "One or more targets are unreachable.",
        "100% of the {container} targets in {ns} namespace are down.",
    ),
]
_NAMESPACES = ["payments", "checkout", "search", "ingest", "monitoring", "identity", "billing"]
_CLUSTERS = ["prod-eu-west-1", "prod-us-east-2", "staging-eu-west-1"]


def _alert(
    name: str, severity: str, summary: str, description: str, ns: str, cluster: str, index: int, resolved: bool
) -> dict[str, Any]:
    container = f"{ns}-api"
    pod = f"{ns}-api-7d9f8b6c5-{MARKER}"
    labels = {
        "alertname": name,
        "cluster": cluster,
        "container": container,
        "instance": f"10.42.{index + 3}.17:8080",
        "job": "kube-state-metrics",
        "namespace": ns,
        "pod": pod,
        "prometheus": "monitoring/k8s",
        "severity": severity,
    }
    fmt = {"ns": ns, "pod": pod, "container": container, "cluster": cluster}
    return {
        "status": "resolved" if resolved else "firing",
        "labels": labels,
        "annotations": {
            "description": description.format(**fmt),
            "runbook_url": f"https://runbooks.prometheus-operator.dev/runbooks/kubernetes/{name.lower()}",
            "summary": summary,
        },
        "startsAt": "2026-11-29T13:41:07.123Z",
        "endsAt": "2026-11-29T13:58:07.123Z" if resolved else "0001-01-01T00:00:00Z",
        "generatorURL": (
            "http://prometheus-k8s.monitoring.svc:9090/graph?g0.expr=kube_pod_container_status_waiting_reason"
            f"%7Bnamespace%3D%22{ns}%22%7D+%3E%3D+1&g0.tab=1"
        ),
        "fingerprint": f"{MARKER}{index}",
    }


def webhook(template: int) -> dict[str, Any]:
    """One notification (MARKER where the id goes): 1 alert (1 in 4: 2), ~1.6-2.5 KB, 1 in 8 resolved."""
    name, severity, summary, description = _ALERTS[template % len(_ALERTS)]
    ns = _NAMESPACES[template % len(_NAMESPACES)]
    cluster = _CLUSTERS[template % len(_CLUSTERS)]
    resolved = template % 8 == 7
    alerts = [
        _alert(name, severity, summary, description, ns, cluster, i, resolved)
        for i in range(2 if template % 4 == 3 else 1)
    ]
    pod = alerts[0]["labels"]["pod"]
    group_labels = {"alertname": name, "namespace": ns, "pod": pod}
    common_labels = {k: v for k, v in alerts[0]["labels"].items() if all(a["labels"][k] == v for a in alerts)}
    return {
        "receiver": "alertfleet",
        "status": "resolved" if resolved else "firing",
        "alerts": alerts,
        "groupLabels": group_labels,
        "commonLabels": common_labels,
        "commonAnnotations": alerts[0]["annotations"] if len(alerts) == 1 else {"summary": summary},
        "externalURL": "http://alertmanager-main.monitoring.svc:9093",
        "version": "4",
        "groupKey": '{}/{severity=~"warning|critical|info"}:'
        + "{"
        + ", ".join(f'{k}="{v}"' for k, v in group_labels.items())
        + "}",
        "truncatedAlerts": 0,
    }


class RequestFactory:
    """Pre-encoded HTTP/1.1 keep-alive requests, each with a never-seen-before notification."""

    def __init__(
        self, host: str, port: int, token: str | None, prefix: int, templates: int = 48, path: str = PATH
    ) -> None:
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        self._prefix = prefix
        self._counter = count()
        self._templates: list[tuple[bytes, list[bytes]]] = []
        self.body_sizes: list[int] = []
        for i in range(templates):
            raw = json.dumps(webhook(i), separators=(",", ":")).encode()
            parts = raw.split(MARKER.encode())
            length = len(raw) - (len(parts) - 1) * (len(MARKER) - ID_WIDTH)
            head = (
                f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: Alertmanager/0.28.1\r\n"
                f"Content-Type: application/json\r\n{auth}Content-Length: {length}\r\n\r\n"
            ).encode()
            self._templates.append((head, parts))
            self.body_sizes.append(length)

    def ident(self, n: int) -> bytes:
        return b"%04x%011x" % (self._prefix, n)

    def __call__(self) -> bytes:
        n = next(self._counter)
        head, parts = self._templates[n % len(self._templates)]
        return head + self.ident(n).join(parts)

    def body(self) -> bytes:
        """Just the body of the next notification (for in-process baselines)."""
        request = self()
        return request[request.index(b"\r\n\r\n") + 4 :]


Factory = Callable[[], bytes]
