"""What PagerDuty's OpenAPI spec requires of the operations alertfleet calls, read from the vendored copy.

For each emulated operation: the required headers and their allowed values, the declared query
parameters (type, enum, maximum, repeatable), the auth scheme and the request body schema. The
known defects listed in ../shared/specs/README.md are patched here, not in the file: `Content-Type`
is required only when the operation has a body (the official client sends none on GET).
"""

from __future__ import annotations

import functools
import json
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.stubs.http import RecordedRequest

SPEC_PATH = Path(__file__).resolve().parents[1] / "contract" / "specs" / "pagerduty" / "openapiv3.json"
SPEC_URI = "urn:alertfleet:pagerduty-openapi"
EMULATED = (
    ("GET", "/incidents"),
    ("GET", "/incidents/{id}"),
    ("PUT", "/incidents/{id}"),
    ("GET", "/incidents/{id}/alerts"),
    ("GET", "/incidents/{id}/notes"),
    ("POST", "/incidents/{id}/notes"),
)
_MAXIMUM = re.compile(r"Maximum of (\d+)")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _nullable_type(validator: Any, types: Any, instance: Any, schema: dict[str, Any]) -> Any:
    """OpenAPI 3.0 `nullable: true` lets null through `type`; plain JSON Schema does not know it."""
    if instance is None and schema.get("nullable"):
        return
    yield from Draft4Validator.VALIDATORS["type"](validator, types, instance, schema)


OpenApiValidator = validators.extend(Draft4Validator, {"type": _nullable_type})


@functools.cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC_PATH.read_bytes())
    return loaded


@functools.cache
def _registry() -> Registry[Any]:
    return Registry().with_resource(SPEC_URI, Resource.from_contents(spec(), default_specification=DRAFT4))


def pointer(*parts: str) -> str:
    return "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def schema_validator(json_pointer: str) -> Any:
    """A validator for the schema at `json_pointer` of the spec, with its $refs resolved."""
    return OpenApiValidator({"$ref": f"{SPEC_URI}#{urllib.parse.quote(json_pointer)}"}, registry=_registry())


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


@dataclass(frozen=True)
class QueryParam:
    name: str
    schema: dict[str, Any]
    maximum: int | None

    @property
    def repeatable(self) -> bool:
        return self.name.endswith("[]") or self.schema.get("type") == "array"

    def problems(self, values: list[str]) -> list[str]:
        if len(values) > 1 and not self.repeatable:
            return [f"query parameter {self.name} given {len(values)} times"]
        item = self.schema.get("items", self.schema) if self.schema.get("type") == "array" else self.schema
        found = []
        for value in values:
            kind = item.get("type")
            if kind == "integer":
                if not re.fullmatch(r"-?\d+", value):
                    found.append(f"query parameter {self.name}={value!r} is not an integer")
                elif self.maximum is not None and int(value) > self.maximum:
                    found.append(f"query parameter {self.name}={value} exceeds the maximum {self.maximum}")
            elif kind == "boolean" and value not in ("true", "false"):
                found.append(f"query parameter {self.name}={value!r} is not true/false")
            if "enum" in item and value not in item["enum"]:
                found.append(f"query parameter {self.name}={value!r} is not one of {item['enum']}")
        return found


@dataclass(frozen=True)
class Operation:
    """One operation's rules, derived from the spec."""

    method: str
    template: str
    operation_id: str
    scope: str
    headers: dict[str, dict[str, Any]]  # required headers (lower-case name -> schema)
    query: dict[str, QueryParam]
    body_pointer: str | None

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template)) + "$"
        found = re.match(pattern, path)
        return found.groupdict() if found else None

    def problems(self, req: RecordedRequest) -> list[str]:
        """Everything about `req` the spec rejects ([] when the request is valid)."""
        found = [f"missing required header {name}" for name in self.headers if not req.headers.get(name)]
        for name, schema in self.headers.items():
            value = req.headers.get(name, "")
            if not value:
                continue
            if "enum" in schema and value.split(";", 1)[0].strip() not in schema["enum"]:
                found.append(f"header {name}: {value!r} is not one of {schema['enum']}")
            if name == "accept" and schema.get("default") and schema["default"] not in value.replace(" ", ""):
                found.append(f"header Accept: {value!r} lacks {schema['default']!r}")
            if schema.get("format") == "email" and not _EMAIL.match(value):
                found.append(f"header {name}: {value!r} is not an email address")
        for name, values in req.query_lists.items():
            param = self.query.get(name)
            found += param.problems(values) if param else [f"unknown query parameter {name}"]
        if self.body_pointer is not None:
            found += self._body_problems(req)
        elif req.body:
            found.append("a body on an operation that takes none")
        return found

    def _body_problems(self, req: RecordedRequest) -> list[str]:
        if req.json_error is not None or req.json is None:
            return [f"body is not JSON ({req.json_error or 'empty'})"]
        errors = sorted(schema_validator(self.body_pointer or "").iter_errors(req.json), key=lambda e: list(e.path))
        return [f"body {'/'.join(str(p) for p in error.path) or '(root)'}: {error.message}" for error in errors]


def auth_problem(req: RecordedRequest) -> str | None:
    """The `api_key` scheme: `Authorization: Token token=<API_KEY>`."""
    scheme = spec()["components"]["securitySchemes"]["api_key"]
    value = req.headers.get(scheme["name"].lower(), "")
    if not value.startswith("Token token=") or not value.removeprefix("Token token=").strip():
        return f"header {scheme['name']} is not 'Token token=<API_KEY>' ({'absent' if not value else 'malformed'})"
    return None


@functools.cache
def operations() -> tuple[Operation, ...]:
    return tuple(_operation(method, template) for method, template in EMULATED)


def _operation(method: str, template: str) -> Operation:
    raw = spec()["paths"][template][method.lower()]
    params = [_resolve(param) for param in raw.get("parameters", [])]
    has_body = "requestBody" in raw
    headers = {
        param["name"].lower(): param["schema"]
        for param in params
        if param["in"] == "header"
        and param.get("required")
        # Known defect: every operation lists Content-Type as required, bodiless GETs included.
        and (has_body or param["name"].lower() != "content-type")
    }
    query = {}
    for param in params:
        if param["in"] == "query":
            maximum = _MAXIMUM.search(param.get("description", ""))
            query[param["name"]] = QueryParam(
                param["name"], param["schema"], int(maximum.group(1)) if maximum else None
            )
    body = pointer("paths", template, method.lower(), "requestBody", "content", "application/json", "schema")
    return Operation(
        method=method,
        template=template,
        operation_id=raw["operationId"],
        scope=str(raw.get("x-pd-requires-scope", "")),
        headers=headers,
        query=query,
        body_pointer=body if has_body else None,
    )


def find_operation(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    for operation in operations():
        params = operation.match(method, path)
        if params is not None:
            return operation, params
    return None


def response_example(template: str, method: str = "get") -> Any:
    """The spec's own response example for an operation (the source of the stub's incident shape)."""
    responses = spec()["paths"][template][method]["responses"]
    return responses["200"]["content"]["application/json"]["examples"]["response"]["value"]
