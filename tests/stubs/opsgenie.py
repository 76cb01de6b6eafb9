"""OpsGenie alert API stub: listAlerts, getAlert, addNote, addTags, updateAlertPriority, getRequestStatus.

Requests are checked against the vendored spec (tests/stubs/opsgenie_spec.py): `GenieKey` auth, query
parameters, JSON body shapes. Writes answer 202 `{result, took, requestId}` and are processed
asynchronously as OpsGenie does: `GET /v2/alerts/requests/{id}` answers 404 until processed (see
`pending_polls`), then `{data: {isSuccess, status, ...}}`. A write to an unknown alert, or one
scripted with `fail_requests`, ends `isSuccess: false`.
"""

from __future__ import annotations

import copy
import itertools
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.stubs.http import RecordedRequest, StubResponse, StubServer
from tests.stubs.opsgenie_spec import check_body, check_query, definition_properties, match

NOTE_LIMIT = 25_000
_CLAUSE = re.compile(r"^(?P<field>[\w.]+)\s*(?P<op>:|>=|<=|>|<)\s*(?P<value>.+)$")
_OR = re.compile(r"\s+OR\s+")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class QueryError(ValueError):
    """A search query this stub cannot read (OpsGenie answers 422 to malformed ones)."""


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"')
    return value


def parse_query(query: str) -> list[list[tuple[str, str, str]]]:
    """`a: x AND (b: y OR b: z) AND createdAt >= 1` -> AND of ORs of (field, op, value)."""
    groups: list[list[tuple[str, str, str]]] = []
    for part in re.split(r"\s+AND\s+", query.strip()) if query.strip() else []:
        part = part.strip()
        if part.startswith("(") and part.endswith(")"):
            part = part[1:-1]
        terms = []
        for term in _OR.split(part):
            found = _CLAUSE.match(term.strip())
            if found is None:
                raise QueryError(f"cannot read {term!r}")
            terms.append((found["field"], found["op"], _unquote(found["value"])))
        groups.append(terms)
    return groups


def _matches(alert: dict[str, Any], field: str, op: str, value: str) -> bool:
    if field == "createdAt":
        created = int(datetime.fromisoformat(alert["createdAt"].replace("Z", "+00:00")).timestamp() * 1000)
        wanted = int(value)
        return {">=": created >= wanted, ">": created > wanted, "<=": created <= wanted, "<": created < wanted}.get(
            op, created == wanted
        )
    if op != ":":
        raise QueryError(f"operator {op} is not supported on {field}")
    if field == "status":
        return bool(alert["status"] == value)
    if field == "priority":
        return bool(alert["priority"] == value)
    if field == "tag":
        return value in alert["tags"]
    if field == "teams":
        return value in alert.get("_teams", [])
    if field == "alias":
        return bool(alert.get("alias") == value)
    raise QueryError(f"field {field!r} is not supported by OpsGenieStub")


class OpsGenieStub(StubServer):
    """Point the SDK's host (OPSGENIE_API_URL) at `base_url`."""

    def __init__(self, api_key: str = "genie-test-key", *, pending_polls: int = 0, delay_seconds: float = 0.0) -> None:
        super().__init__(delay_seconds=delay_seconds)
        self.api_key = api_key
        self.pending_polls = pending_polls
        self._alerts: dict[str, dict[str, Any]] = {}
        self._notes: dict[str, list[dict[str, Any]]] = {}
        self._statuses: dict[str, dict[str, Any]] = {}
        self._polls: dict[str, int] = {}
        self._failures: list[str] = []
        self._tiny = itertools.count(1)
        self._base_alert = definition_properties("BaseAlert")

    # state ---------------------------------------------------------------------------------

    def add_alert(
        self,
        message: str,
        *,
        priority: str = "P3",
        tags: list[str] | None = None,
        alias: str | None = None,
        teams: list[str] | None = None,
        description: str = "",
        details: dict[str, str] | None = None,
        created_at: datetime | None = None,
        status: str = "open",
        source: str = "stub",
    ) -> str:
        """Create an alert as an integration would; returns its id."""
        alert_id = str(uuid.uuid4())
        created = iso(created_at or datetime.now(UTC))
        alert = {
            "id": alert_id,
            "tinyId": str(next(self._tiny)),
            "alias": alias or alert_id,
            "message": message,
            "status": status,
            "acknowledged": False,
            "isSeen": False,
            "tags": list(tags or []),
            "snoozed": False,
            "count": 1,
            "lastOccurredAt": created,
            "createdAt": created,
            "updatedAt": created,
            "source": source,
            "owner": "",
            "priority": priority,
            "responders": [{"type": "team", "id": f"team-{team}"} for team in teams or []],
            "integration": {"id": "int-1", "name": "Default API", "type": "API"},
            "report": {},
            "actions": [],
            "entity": "",
            "description": description,
            "details": dict(details or {}),
            "_teams": list(teams or []),
        }
        with self._lock:
            self._alerts[alert_id] = alert
            self._notes[alert_id] = []
        return alert_id

    def alert(self, alert_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._alerts[alert_id])

    def notes(self, alert_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._notes.get(alert_id, []))

    def all_notes(self) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(n) for notes in self._notes.values() for n in notes]

    def request_statuses(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._statuses)

    def fail_requests(self, n: int, status: str = "Alert processing failed") -> None:
        """The next `n` accepted writes end `isSuccess: false` with this status message."""
        with self._lock:
            self._failures.extend([status] * n)

    def fault_body(self, status: int) -> Any:
        message = {429: "You are making too many requests!"}.get(status, "Internal Server Error")
        return {"message": message, "took": 0.001, "requestId": str(uuid.uuid4())}

    # dispatch --------------------------------------------------------------------------------

    def handle(self, req: RecordedRequest) -> StubResponse:
        found = match(req.method, req.path)
        if found is None:
            return self._error(req, 404, f"no operation for {req.method} {req.path}")
        op, params = found
        scheme, _, key = req.headers.get("authorization", "").partition(" ")
        if scheme != "GenieKey" or not key.strip():
            return self._error(req, 401, "Could not authenticate (expected Authorization: GenieKey <key>)")
        if key.strip() != self.api_key:
            return self._error(req, 401, "Could not authenticate")
        problems = check_query(op, req.query_lists)
        body: Any = None
        if op.body_schema is not None:
            if req.content_type not in op.consumes:
                problems.append(f"content type {req.content_type!r} not in {list(op.consumes)}")
            elif req.json_error is not None:
                problems.append(f"invalid JSON: {req.json_error}")
            else:
                body = req.json
                problems += check_body(op.body_schema, body)
        if problems:
            return self._error(req, 422 if op.body_schema else 400, "; ".join(problems))
        identifier_type = req.query.get("identifierType", "id")
        operation: Callable[[RecordedRequest, dict[str, str], Any, str], StubResponse]
        operation = getattr(self, f"_{op.operation_id}")
        return operation(req, params, body, identifier_type)

    def _error(self, req: RecordedRequest, status: int, message: str, *, violation: bool = True) -> StubResponse:
        if violation:
            self.record_violation(f"{req.method} {req.path}: {status} {message}")
        return StubResponse(status, {"message": message, "took": 0.001, "requestId": str(uuid.uuid4())})

    def _ok(self, status: int, body: dict[str, Any]) -> StubResponse:
        request_id = str(uuid.uuid4())
        return StubResponse(status, {**body, "took": 0.002, "requestId": request_id}, {"X-Request-ID": request_id})

    def _find(self, identifier: str, identifier_type: str) -> dict[str, Any] | None:
        if identifier_type == "alias":
            return next((a for a in self._alerts.values() if a["alias"] == identifier), None)
        if identifier_type == "tiny":
            return next((a for a in self._alerts.values() if a["tinyId"] == identifier), None)
        return self._alerts.get(identifier)

    def _public(self, alert: dict[str, Any], fields: set[str] | None = None) -> dict[str, Any]:
        return {
            k: copy.deepcopy(v) for k, v in alert.items() if not k.startswith("_") and (fields is None or k in fields)
        }

    # reads -----------------------------------------------------------------------------------

    def _listAlerts(self, req: RecordedRequest, _p: dict[str, str], _b: Any, _t: str) -> StubResponse:
        try:
            groups = parse_query(req.query.get("query", ""))
            with self._lock:
                alerts = [a for a in self._alerts.values() if all(any(_matches(a, *t) for t in g) for g in groups)]
        except (QueryError, ValueError) as exc:
            return self._error(req, 422, f"Invalid query: {exc}")
        sort = req.query.get("sort", "createdAt")
        alerts.sort(key=lambda a: str(a.get(sort, "")), reverse=req.query.get("order", "desc") == "desc")
        offset, limit = int(req.query.get("offset", "0")), int(req.query.get("limit", "20"))
        page = [self._public(a, self._base_alert) for a in alerts[offset : offset + limit]]
        return self._ok(200, {"data": page, "paging": {"first": "", "last": ""}})

    def _getAlert(self, req: RecordedRequest, params: dict[str, str], _b: Any, kind: str) -> StubResponse:
        with self._lock:
            alert = self._find(params["identifier"], kind)
            if alert is None:
                message = f"Alert with id [{params['identifier']}] does not exist"
                return self._error(req, 404, message, violation=False)
            return self._ok(200, {"data": self._public(alert)})

    def _listNotes(self, req: RecordedRequest, params: dict[str, str], _b: Any, kind: str) -> StubResponse:
        with self._lock:
            alert = self._find(params["identifier"], kind)
            if alert is None:
                message = f"Alert with id [{params['identifier']}] does not exist"
                return self._error(req, 404, message, violation=False)
            notes = [{**n, "offset": str(i)} for i, n in enumerate(self._notes[alert["id"]])]
        if req.query.get("order", "desc") == "desc":
            notes.reverse()
        limit = int(req.query.get("limit", "20"))
        data = [{k: n[k] for k in ("note", "owner", "createdAt", "offset")} for n in notes[:limit]]
        return self._ok(200, {"data": data, "paging": {"first": "", "next": ""}})

    def _getRequestStatus(self, req: RecordedRequest, params: dict[str, str], _b: Any, _t: str) -> StubResponse:
        request_id = params["requestId"]
        with self._lock:
            status = self._statuses.get(request_id)
            polls = self._polls[request_id] = self._polls.get(request_id, 0) + 1
            if status is None or polls <= self.pending_polls:
                message = "Request not found. It might not be processed, yet."
                return self._error(req, 404, message, violation=False)
            return self._ok(200, {"data": copy.deepcopy(status)})

    # writes (202, processed "asynchronously") ------------------------------------------------

    def _accept(self, action: str, alert: dict[str, Any] | None, identifier: str, apply: Any) -> StubResponse:
        request_id = str(uuid.uuid4())
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
            if alert is None:
                failure = failure or f"Alert does not exist [{identifier}]"
            if failure is None and alert is not None:
                apply(alert)
                alert["updatedAt"] = iso(datetime.now(UTC))
            self._statuses[request_id] = {
                "action": action,
                "processedAt": iso(datetime.now(UTC) + timedelta(milliseconds=5)),
                "integrationId": "int-1",
                "isSuccess": failure is None,
                "status": failure or f"{action} processed",
                "alertId": alert["id"] if alert else "",
                "alias": alert["alias"] if alert else "",
            }
        return StubResponse(
            202,
            {"result": "Request will be processed", "took": 0.003, "requestId": request_id},
            {"X-Request-ID": request_id},
        )

    def _addNote(self, req: RecordedRequest, params: dict[str, str], body: Any, kind: str) -> StubResponse:
        if len(body["note"]) > NOTE_LIMIT:
            return self._error(req, 422, f"note must be at most {NOTE_LIMIT} characters")
        with self._lock:
            alert = self._find(params["identifier"], kind)

        def apply(target: dict[str, Any]) -> None:
            entry = {"note": body["note"], "owner": body.get("user", ""), "source": body.get("source", "")}
            self._notes[target["id"]].append({**entry, "createdAt": iso(datetime.now(UTC))})

        return self._accept("Add Note", alert, params["identifier"], apply)

    def _addTags(self, req: RecordedRequest, params: dict[str, str], body: Any, kind: str) -> StubResponse:
        if len(body["tags"]) > 20 or any(len(tag) > 50 for tag in body["tags"]):
            return self._error(req, 422, "at most 20 tags of at most 50 characters")
        with self._lock:
            alert = self._find(params["identifier"], kind)

        def apply(target: dict[str, Any]) -> None:
            target["tags"] = list(dict.fromkeys([*target["tags"], *body["tags"]]))

        return self._accept("Add Tags", alert, params["identifier"], apply)

    def _updateAlertPriority(self, req: RecordedRequest, params: dict[str, str], body: Any, kind: str) -> StubResponse:
        with self._lock:
            alert = self._find(params["identifier"], kind)

        def apply(target: dict[str, Any]) -> None:
            target["priority"] = body["priority"]

        return self._accept("Update Priority", alert, params["identifier"], apply)
