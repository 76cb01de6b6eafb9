"""The OpsGenie alert API contract, derived from the vendored Swagger 2.0 file for the calls we make.

Routes, query parameters (types, enums, bounds), body schemas (through `$ref` and `allOf`) and the
auth scheme come from `tests/contract/specs/opsgenie/alert-api.swagger.json`. The one patch is the
known defect from /work/shared/specs/README.md: no operation declares `consumes`, so JSON bodies
would be refused; we add `consumes: [application/json]` to operations that take a body.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parents[1] / "contract" / "specs" / "opsgenie" / "alert-api.swagger.json"
OPERATIONS = ("listAlerts", "getAlert", "addNote", "listNotes", "addTags", "updateAlertPriority", "getRequestStatus")
PATCHED_CONSUMES = ["application/json"]


@dataclass(frozen=True)
class Operation:
    """One spec operation as the stub enforces it."""

    operation_id: str
    method: str
    path: str
    pattern: re.Pattern[str]
    path_params: tuple[str, ...]
    query: dict[str, dict[str, Any]]
    body_schema: dict[str, Any] | None
    consumes: tuple[str, ...]
    responses: tuple[str, ...]
    security: tuple[str, ...]


@functools.cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC_PATH.read_bytes())
    return loaded


def resolve(node: Any) -> Any:
    """Follow a local `$ref` (#/definitions/..., #/parameters/..., #/responses/...)."""
    while isinstance(node, dict) and "$ref" in node:
        parts = node["$ref"].removeprefix("#/").split("/")
        target: Any = spec()
        for part in parts:
            target = target[part]
        node = target
    return node


def _pattern(path: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    names = tuple(re.findall(r"\{(\w+)\}", path))
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
    return re.compile(f"^{regex}$"), names


@functools.cache
def operations() -> dict[str, Operation]:
    """The operations we emulate, keyed by operationId."""
    found: dict[str, Operation] = {}
    security = tuple(name for requirement in spec().get("security", []) for name in requirement)
    for path, item in spec()["paths"].items():
        for method, op in item.items():
            if method == "parameters" or op.get("operationId") not in OPERATIONS:
                continue
            params = [resolve(p) for p in [*item.get("parameters", []), *op.get("parameters", [])]]
            body = next((p for p in params if p["in"] == "body"), None)
            pattern, names = _pattern(path)
            consumes = op.get("consumes") or spec().get("consumes") or (PATCHED_CONSUMES if body else [])
            found[op["operationId"]] = Operation(
                operation_id=op["operationId"],
                method=method.upper(),
                path=path,
                pattern=pattern,
                path_params=names,
                query={p["name"]: p for p in params if p["in"] == "query"},
                body_schema=body["schema"] if body else None,
                consumes=tuple(consumes),
                responses=tuple(op["responses"]),
                security=tuple(name for r in op.get("security", []) for name in r) or security,
            )
    return found


def match(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    """The operation for a request line; literal segments win over parameters (`requests/{id}`)."""
    candidates = []
    for op in operations().values():
        found = op.pattern.match(path)
        if op.method == method and found:
            candidates.append((len(op.path_params), op, found.groupdict()))
    if not candidates:
        return None
    _, op, params = min(candidates, key=lambda c: c[0])
    return op, params


def check_query(op: Operation, query: dict[str, list[str]]) -> list[str]:
    """Problems with the query string: unknown names, wrong types, values outside enum or bounds."""
    problems = []
    for name, values in query.items():
        param = op.query.get(name)
        if param is None:
            problems.append(f"unknown query parameter {name!r}")
            continue
        problems += [f"query {name}: {p}" for value in values for p in _check_scalar(param, value)]
    problems += [f"missing query parameter {n!r}" for n, p in op.query.items() if p.get("required") and n not in query]
    return problems


def _check_scalar(param: dict[str, Any], raw: str) -> list[str]:
    kind = param.get("type")
    if kind == "integer":
        try:
            value: Any = int(raw)
        except ValueError:
            return [f"{raw!r} is not an integer"]
        if "minimum" in param and value < param["minimum"]:
            return [f"{value} < minimum {param['minimum']}"]
        if "maximum" in param and value > param["maximum"]:
            return [f"{value} > maximum {param['maximum']}"]
        return []
    if "enum" in param and raw not in param["enum"]:
        return [f"{raw!r} not in {param['enum']}"]
    return []


def check_body(schema: dict[str, Any], value: Any, where: str = "body") -> list[str]:
    """Validate a JSON value against a spec schema: $ref, allOf, required, types, enums, no extra keys."""
    schema = resolve(schema)
    problems: list[str] = []
    if "allOf" in schema:
        merged = merge_all_of(schema)
        return check_body(merged, value, where)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema or "required" in schema:
        if not isinstance(value, dict):
            return [f"{where}: expected an object"]
        properties = schema.get("properties", {})
        problems += [f"{where}: missing required {name!r}" for name in schema.get("required", []) if name not in value]
        for key, item in value.items():
            if key not in properties:
                problems.append(f"{where}: unknown property {key!r}")
            else:
                problems += check_body(properties[key], item, f"{where}.{key}")
        return problems
    types: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "integer": int,
        "boolean": bool,
        "array": list,
        "number": (int, float),
    }
    expected = types.get(kind or "")
    if expected is not None and not isinstance(value, expected):
        return [f"{where}: expected {kind}"]
    if kind == "array":
        for index, item in enumerate(value):
            problems += check_body(schema.get("items", {}), item, f"{where}[{index}]")
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    return problems


def merge_all_of(schema: dict[str, Any]) -> dict[str, Any]:
    """Flatten `allOf` into one object schema (properties and required lists united)."""
    merged: dict[str, Any] = {"type": "object", "properties": {}, "required": list(schema.get("required", []))}
    for part in [schema, *schema.get("allOf", [])]:
        part = resolve(part)
        if "allOf" in part and part is not schema:
            part = merge_all_of(part)
        merged["properties"].update(part.get("properties", {}))
        merged["required"] += [r for r in part.get("required", []) if r not in merged["required"]]
    return merged


def definition_properties(name: str) -> set[str]:
    """Property names of a definition (through allOf), used to shape the stub's answers."""
    return set(merge_all_of(resolve({"$ref": f"#/definitions/{name}"}))["properties"])
