"""The kubernetes toolset: find, describe, events and logs through the official client — reads only.

Config comes from the YAML (`kubeconfig`, `context`), KUBECONFIG, in-cluster service account, or
~/.kube/config; none found means the toolset is off, not an error. Only list/read/log calls are made.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from alertfleet.models import Event
from alertfleet.toolset_config import KubernetesSpec
from workers.investigator.toolsets import Tool, ToolError, Toolset, int_arg, params, string_arg

MAX_ITEMS = 100
LOG_TAIL_DEFAULT = 200
LOG_TAIL_MAX = 2000
LOG_CHARS = 40_000  # newest lines kept; the loop's result cap applies after this


@dataclass(frozen=True)
class Kind:
    api: Callable[[client.ApiClient], Any]
    plural: str  # the method suffix: list_namespaced_<plural>, read_namespaced_<plural>
    namespaced: bool = True


_KINDS = {
    "pod": Kind(client.CoreV1Api, "pod"),
    "service": Kind(client.CoreV1Api, "service"),
    "persistentvolumeclaim": Kind(client.CoreV1Api, "persistent_volume_claim"),
    "node": Kind(client.CoreV1Api, "node", namespaced=False),
    "namespace": Kind(client.CoreV1Api, "namespace", namespaced=False),
    "deployment": Kind(client.AppsV1Api, "deployment"),
    "statefulset": Kind(client.AppsV1Api, "stateful_set"),
    "daemonset": Kind(client.AppsV1Api, "daemon_set"),
    "replicaset": Kind(client.AppsV1Api, "replica_set"),
    "job": Kind(client.BatchV1Api, "job"),
    "cronjob": Kind(client.BatchV1Api, "cron_job"),
}
_ALIASES = {
    "pods": "pod",
    "po": "pod",
    "svc": "service",
    "pvc": "persistentvolumeclaim",
    "deploy": "deployment",
    "sts": "statefulset",
    "ds": "daemonset",
    "rs": "replicaset",
    "ns": "namespace",
    "nodes": "node",
}


def make_api_client(spec: KubernetesSpec) -> client.ApiClient:
    """An ApiClient for the configured cluster; raises ConfigException when there is none."""
    if spec.kubeconfig:
        return config.new_client_from_config(config_file=spec.kubeconfig, context=spec.context)
    configuration = client.Configuration()
    config.load_incluster_config(client_configuration=configuration)
    return client.ApiClient(configuration)


class _Cluster:
    def __init__(self, api_client: client.ApiClient, timeout: float) -> None:
        self.api_client = api_client
        self.timeout = timeout

    def kind(self, arguments: dict[str, Any]) -> tuple[str, Kind]:
        name = string_arg(arguments, "kind").lower().strip()
        name = _ALIASES.get(name, name.rstrip("s") if name.rstrip("s") in _KINDS else name)
        if name not in _KINDS:
            raise ToolError(f"kind {name!r} is not supported; one of {', '.join(_KINDS)}")
        return name, _KINDS[name]

    def call(self, api: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(api, method)(*args, _request_timeout=self.timeout, **kwargs)
        except ApiException as exc:
            reason = exc.reason or ""
            with contextlib.suppress(yaml.YAMLError, AttributeError):
                reason = yaml.safe_load(exc.body or "{}").get("message", reason)
            raise ToolError(f"Kubernetes API {exc.status}: {reason}") from None
        except Exception as exc:  # urllib3 connection and timeout errors
            raise ToolError(f"Kubernetes API unreachable: {type(exc).__name__}: {str(exc)[:200]}") from None

    def plain(self, obj: Any) -> Any:
        return self.api_client.sanitize_for_serialization(obj)


def _status(item: Any) -> str:
    status = getattr(item, "status", None)
    phase = getattr(status, "phase", None)
    if phase:
        restarts = sum((c.restart_count or 0) for c in (getattr(status, "container_statuses", None) or []))
        return f"{phase}, restarts={restarts}"
    ready = getattr(status, "ready_replicas", None)
    wanted = getattr(getattr(item, "spec", None), "replicas", None)
    return f"ready {ready or 0}/{wanted}" if wanted is not None else ""


def find_resource(cluster: _Cluster, _event: Event, arguments: dict[str, Any]) -> str:
    kind_name, kind = cluster.kind(arguments)
    keyword = string_arg(arguments, "keyword", required=False).lower()
    namespace = string_arg(arguments, "namespace", required=False)
    api = kind.api(cluster.api_client)
    if not kind.namespaced:
        items = cluster.call(api, f"list_{kind.plural}").items
    elif namespace:
        items = cluster.call(api, f"list_namespaced_{kind.plural}", namespace).items
    else:
        items = cluster.call(api, f"list_{kind.plural}_for_all_namespaces").items
    found = [item for item in items if keyword in (item.metadata.name or "").lower()]
    if not found:
        return f"no {kind_name} matches {keyword!r}" + (f" in namespace {namespace}" if namespace else "")
    lines = [f"{len(found)} {kind_name}(s)"]
    for item in found[:MAX_ITEMS]:
        where = f"{item.metadata.namespace}/" if item.metadata.namespace else ""
        lines.append(f"- {where}{item.metadata.name} {_status(item)}".rstrip())
    return "\n".join(lines)


def _events(cluster: _Cluster, namespace: str, name: str = "") -> list[Any]:
    core = client.CoreV1Api(cluster.api_client)
    selector = f"involvedObject.name={name}" if name else None
    if namespace:
        items = cluster.call(core, "list_namespaced_event", namespace, field_selector=selector).items
    else:
        items = cluster.call(core, "list_event_for_all_namespaces", field_selector=selector).items
    return sorted(items, key=lambda e: str(e.last_timestamp or e.event_time or e.metadata.creation_timestamp or ""))


def _event_lines(events: list[Any]) -> list[str]:
    lines = []
    for event in events[-MAX_ITEMS:]:
        obj = event.involved_object
        count = f" x{event.count}" if event.count and event.count > 1 else ""
        when = event.last_timestamp or event.event_time or event.metadata.creation_timestamp
        lines.append(f"- {when} {event.type} {event.reason}{count} {obj.kind}/{obj.name}: {event.message}")
    return lines


def describe(cluster: _Cluster, _event: Event, arguments: dict[str, Any]) -> str:
    _kind_name, kind = cluster.kind(arguments)
    name = string_arg(arguments, "name")
    namespace = string_arg(arguments, "namespace", required=False, default="default")
    api = kind.api(cluster.api_client)
    if kind.namespaced:
        obj = cluster.call(api, f"read_namespaced_{kind.plural}", name, namespace)
    else:
        obj = cluster.call(api, f"read_{kind.plural}", name)
    plain = cluster.plain(obj)
    (plain.get("metadata") or {}).pop("managedFields", None)
    text = yaml.safe_dump(plain, sort_keys=False)
    events = _events(cluster, namespace if kind.namespaced else "", name)
    return text + "\nEvents:\n" + ("\n".join(_event_lines(events)) or "  (none)")


def events(cluster: _Cluster, _event: Event, arguments: dict[str, Any]) -> str:
    namespace = string_arg(arguments, "namespace", required=False)
    name = string_arg(arguments, "name", required=False)
    found = _events(cluster, namespace, name)
    if not found:
        return "no events" + (f" for {name}" if name else "") + (f" in namespace {namespace}" if namespace else "")
    return f"{len(found)} event(s), oldest first\n" + "\n".join(_event_lines(found))


def tail_lines(text: str, limit: int = LOG_CHARS) -> str:
    """Keep the newest lines within `limit` characters, saying how many earlier lines were cut."""
    if len(text) <= limit:
        return text
    kept = text[-limit:].split("\n", 1)[-1]
    cut = text[: len(text) - len(kept)].count("\n")
    return f"[{cut} earlier line(s) cut; newest kept]\n{kept}"


def logs(cluster: _Cluster, previous: bool, _event: Event, arguments: dict[str, Any]) -> str:
    name = string_arg(arguments, "name")
    namespace = string_arg(arguments, "namespace", required=False, default="default")
    container = string_arg(arguments, "container", required=False) or None
    tail = int_arg(arguments, "tail", LOG_TAIL_DEFAULT, 1, LOG_TAIL_MAX)
    core = client.CoreV1Api(cluster.api_client)
    text = cluster.call(
        core,
        "read_namespaced_pod_log",
        name,
        namespace,
        container=container,
        previous=previous,
        tail_lines=tail,
        limit_bytes=LOG_CHARS * 4,
        timestamps=True,
    )
    which = "previous container's" if previous else "current"
    return f"{which} logs of {namespace}/{name} (last {tail} lines)\n" + (tail_lines(str(text or "")) or "(empty)")


_KIND = {"type": "string", "description": f"One of {', '.join(_KINDS)}."}
_NS = {"type": "string", "description": "The namespace (default: default; find: all namespaces)."}
_LOG_PARAMS = params(
    {
        "name": {"type": "string", "description": "Pod name."},
        "namespace": _NS,
        "container": {"type": "string"},
        "tail": {"type": "integer", "description": f"Lines from the end (default {LOG_TAIL_DEFAULT})."},
    },
    ["name"],
)


def kubernetes_toolset(spec: KubernetesSpec, timeout: float) -> Toolset:
    """Off (with the reason) when no cluster config can be loaded."""
    try:
        api_client = make_api_client(spec)
    except Exception as exc:  # ConfigException, a missing or unreadable file
        return Toolset("kubernetes", False, reason=f"no usable cluster config: {str(exc)[:200]}")
    cluster = _Cluster(api_client, timeout)
    tools = (
        Tool(
            "kubectl_find_resource",
            "Find resources of a kind whose name contains a keyword, with their status.",
            params({"kind": _KIND, "keyword": {"type": "string"}, "namespace": _NS}, ["kind"]),
            partial(find_resource, cluster),
        ),
        Tool(
            "kubectl_describe",
            "Describe one resource (its spec and status as YAML) and its events.",
            params({"kind": _KIND, "name": {"type": "string"}, "namespace": _NS}, ["kind", "name"]),
            partial(describe, cluster),
        ),
        Tool(
            "kubectl_events",
            "Events of a namespace, or of one object by name, oldest first.",
            params({"namespace": _NS, "name": {"type": "string"}}),
            partial(events, cluster),
        ),
        Tool(
            "kubectl_logs",
            "The newest lines of a pod's logs.",
            _LOG_PARAMS,
            partial(logs, cluster, False),
            keep_tail=True,
        ),
        Tool(
            "kubectl_previous_logs",
            "The newest lines of a pod's previous (crashed) container's logs.",
            _LOG_PARAMS,
            partial(logs, cluster, True),
            keep_tail=True,
        ),
    )
    host = api_client.configuration.host
    return Toolset("kubernetes", True, tools, detail=f"API server {host}")
