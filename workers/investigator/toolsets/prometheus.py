"""The prometheus toolset: PromQL queries, metric/label/series discovery and rules — HolmesGPT's tool names.

Range answers are summarised per series (promql_summary) so a day of 15 s samples costs the model a few
lines. Only the read endpoints of the HTTP API are called (GET /api/v1/query, query_range, labels,
series, rules).
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from functools import partial
from typing import Any

from alertfleet.models import Event
from alertfleet.settings import parse_duration
from alertfleet.toolset_config import PrometheusSpec
from workers.investigator.toolsets import Tool, ToolError, Toolset, int_arg, params, string_arg
from workers.investigator.toolsets.http_json import get_json
from workers.investigator.toolsets.promql_summary import summarise_matrix

MAX_VECTOR = 100
MAX_NAMES = 500
MAX_POINTS = 11_000  # Prometheus refuses more points per series than this


class _Api:
    def __init__(self, spec: PrometheusSpec, timeout: float) -> None:
        self.spec = spec
        self.timeout = timeout

    def get(self, path: str, query: Any) -> Any:
        body = get_json(self.spec.url, path, query, self.spec.headers, self.timeout)
        if not isinstance(body, dict) or body.get("status") != "success":
            raise ToolError(f"{path}: {body.get('error') if isinstance(body, dict) else 'unexpected answer'}")
        return body.get("data")


def parse_time(text: str, now: float) -> float:
    """RFC 3339, unix seconds, `now`, or `-1h`-style offsets from now."""
    text = text.strip()
    if text in ("", "now"):
        return now
    if text.startswith("-"):
        return now - parse_duration(text[1:])
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ToolError(f"{text!r} is not a time (RFC 3339, unix seconds, 'now' or '-1h')") from None


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _format_vector(data: dict[str, Any]) -> str:
    kind = data.get("resultType")
    result: Any = data.get("result")
    if kind in ("scalar", "string"):
        ts, value = result
        return f"{kind} {value} at {_when(float(ts))}"
    if not result:
        return "no series matched (empty result)"
    lines = [f"{len(result)} series"]
    for item in result[:MAX_VECTOR]:
        metric = item.get("metric", {})
        name = metric.get("__name__", "")
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(metric.items()) if k != "__name__")
        ts, value = item.get("value", [0, "?"])
        lines.append(f"{name}{{{labels}}} = {value} at {_when(float(ts))}")
    if len(result) > MAX_VECTOR:
        lines.append(f"... and {len(result) - MAX_VECTOR} more series")
    return "\n".join(lines)


def instant_query(api: _Api, _event: Event, arguments: dict[str, Any]) -> str:
    query = {"query": string_arg(arguments, "query")}
    if arguments.get("time"):
        query["time"] = str(parse_time(string_arg(arguments, "time"), time.time()))
    return _format_vector(api.get("/api/v1/query", query))


def range_query(api: _Api, _event: Event, arguments: dict[str, Any]) -> str:
    now = time.time()
    end = parse_time(string_arg(arguments, "end", required=False, default="now"), now)
    start = parse_time(string_arg(arguments, "start", required=False, default="-1h"), now)
    if start >= end:
        raise ToolError("start must be before end")
    step_text = string_arg(arguments, "step", required=False)
    step = parse_duration(step_text) if step_text else max(1.0, math.ceil((end - start) / 300))
    if (end - start) / step > MAX_POINTS:
        step = math.ceil((end - start) / MAX_POINTS)
    query = {"query": string_arg(arguments, "query"), "start": str(start), "end": str(end), "step": str(step)}
    return f"step {step:g}s\n" + summarise_matrix(api.get("/api/v1/query_range", query))


def _matched_names(names: list[str], match: str) -> list[str]:
    return [name for name in names if match.lower() in name.lower()] if match else names


def metric_names(api: _Api, _event: Event, arguments: dict[str, Any]) -> str:
    match = string_arg(arguments, "match", required=False)
    selector = match if "{" in match else ""
    query = {"match[]": selector} if selector else {}
    names = _matched_names(list(api.get("/api/v1/label/__name__/values", query) or []), "" if selector else match)
    shown = names[:MAX_NAMES]
    more = f"\n... and {len(names) - MAX_NAMES} more (pass match to narrow)" if len(names) > MAX_NAMES else ""
    return f"{len(names)} metric names\n" + "\n".join(shown) + more


def label_values(api: _Api, _event: Event, arguments: dict[str, Any]) -> str:
    label = string_arg(arguments, "label")
    if not label.replace("_", "a").isalnum():
        raise ToolError(f"{label!r} is not a label name")
    match = string_arg(arguments, "match", required=False)
    values = list(api.get(f"/api/v1/label/{label}/values", {"match[]": match} if match else {}) or [])
    more = f"\n... and {len(values) - MAX_NAMES} more" if len(values) > MAX_NAMES else ""
    return f"{len(values)} values of {label}\n" + "\n".join(values[:MAX_NAMES]) + more


def series(api: _Api, _event: Event, arguments: dict[str, Any]) -> str:
    now = time.time()
    limit = int_arg(arguments, "limit", 100, 1, 500)
    query = {
        "match[]": string_arg(arguments, "match"),
        "start": str(parse_time(string_arg(arguments, "start", required=False, default="-1h"), now)),
        "end": str(parse_time(string_arg(arguments, "end", required=False, default="now"), now)),
    }
    found = list(api.get("/api/v1/series", query) or [])
    lines = [f"{len(found)} series"]
    for metric in found[:limit]:
        name = metric.get("__name__", "")
        lines.append(name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(metric.items()) if k != "__name__") + "}")
    return "\n".join(lines)


def rules(api: _Api, _event: Event, arguments: dict[str, Any]) -> str:
    kind = string_arg(arguments, "type", required=False)
    query = {"type": kind} if kind in ("alert", "record") else {}
    groups = (api.get("/api/v1/rules", query) or {}).get("groups", [])
    lines = []
    for group in groups:
        lines.append(f"group {group.get('name')} (file {group.get('file')})")
        for rule in group.get("rules", []):
            state = f" state={rule['state']}" if rule.get("state") else ""
            lines.append(f"- {rule.get('type')} {rule.get('name')}{state} health={rule.get('health')}")
            lines.append(f"  expr: {rule.get('query')}")
            if rule.get("duration"):
                lines.append(f"  for: {rule['duration']}s")
    return "\n".join(lines) or "no rules"


_QUERY = {"type": "string", "description": "A PromQL expression."}
_TIME = {"type": "string", "description": "RFC 3339, unix seconds, 'now' or an offset such as '-2h'."}


def prometheus_toolset(spec: PrometheusSpec, timeout: float) -> Toolset:
    api = _Api(spec, timeout)
    tools = (
        Tool(
            "execute_prometheus_instant_query",
            "Run a PromQL instant query against Prometheus and return each series' value.",
            params({"query": _QUERY, "time": _TIME, "description": {"type": "string"}}, ["query"]),
            partial(instant_query, api),
        ),
        Tool(
            "execute_prometheus_range_query",
            "Run a PromQL range query; each series comes back summarised: first/last/min/max/avg, when the "
            "extremes happened and the largest change.",
            params(
                {
                    "query": _QUERY,
                    "start": _TIME | {"description": "Start (default -1h)."},
                    "end": _TIME | {"description": "End (default now)."},
                    "step": {
                        "type": "string",
                        "description": "Resolution such as 30s or 5m (default: about 300 points).",
                    },
                    "description": {"type": "string"},
                },
                ["query"],
            ),
            partial(range_query, api),
        ),
        Tool(
            "get_metric_names",
            "List metric names, optionally those containing a substring or matching a series selector.",
            params({"match": {"type": "string", "description": 'Substring, or a selector like {job="api"}.'}}),
            partial(metric_names, api),
        ),
        Tool(
            "get_label_values",
            "List the values of one label, optionally only on series matching a selector.",
            params({"label": {"type": "string"}, "match": {"type": "string"}}, ["label"]),
            partial(label_values, api),
        ),
        Tool(
            "get_series",
            "List the series (label sets) matching a selector in a time range (default the last hour).",
            params(
                {"match": {"type": "string"}, "start": _TIME, "end": _TIME, "limit": {"type": "integer"}}, ["match"]
            ),
            partial(series, api),
        ),
        Tool(
            "list_prometheus_rules",
            "List Prometheus alerting and recording rules with their expressions, state and health.",
            params({"type": {"type": "string", "enum": ["alert", "record"]}}),
            partial(rules, api),
        ),
    )
    return Toolset("prometheus", True, tools, detail=spec.url)
