"""PagerDuty REST API v2 stub: incidents, their alerts and notes, policed by the vendored OpenAPI spec.

Every request is checked against the spec (tests/stubs/pagerduty_spec.py): a request the spec
rejects is answered as PagerDuty answers (`{"error": {"message", "code", "errors"}}`) and recorded
in `violations`, as is any call to an operation the stub does not emulate and a note over PagerDuty's
25,000 characters — a correct client never makes one. Refusals a correct client can still meet (a
wrong API key, an unknown incident, a `From` that is no user) are answered but are not violations.
"""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.stubs.http import RecordedRequest, StubResponse, StubServer
from tests.stubs.pagerduty_spec import auth_problem, find_operation, response_example

NOTE_LIMIT = 25_000
DEFAULT_USER = "oncall@example.com"
PRIORITIES = {"P1": "PPRIO01", "P2": "PPRIO02", "P3": "PPRIO03", "P4": "PPRIO04", "P5": "PPRIO05"}
_ERRORS = {
    400: ("Invalid Input Provided", 2001),
    401: ("Unauthorized", 2006),
    403: ("Forbidden", 2010),
    404: ("Not Found", 2100),
    429: ("Rate Limit Exceeded", 2020),
}


def pd_error(status: int, message: str | None = None, errors: list[str] | None = None) -> StubResponse:
    default, code = _ERRORS.get(status, ("Internal Server Error", 2000))
    body: dict[str, Any] = {"error": {"message": message or default, "code": code}}
    if errors:
        body["error"]["errors"] = errors
    return StubResponse(status, body)


def pd_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class PagerDutyStub(StubServer):
    """Point `PAGERDUTY_API_URL` at `base_url`; seed incidents with `add_incident`."""

    def __init__(self, token: str = "pd-test-token", users: tuple[str, ...] = (DEFAULT_USER,)) -> None:
        super().__init__()
        self.token = token
        self.users = users
        self._ids = itertools.count(1)
        self._incidents: dict[str, dict[str, Any]] = {}
        self._alerts: dict[str, list[dict[str, Any]]] = {}
        self._notes: dict[str, list[dict[str, Any]]] = {}
        self._updates: list[tuple[str, dict[str, Any]]] = []
        self._template = response_example("/incidents")["incidents"][0]
        self._alert_template = response_example("/incidents/{id}/alerts")["alerts"][0]

    # state -----------------------------------------------------------------------------------

    def add_incident(
        self,
        title: str = "The server is on fire.",
        *,
        status: str = "triggered",
        urgency: str = "high",
        service_id: str = "PSVC001",
        service_name: str = "checkout",
        incident_key: str | None = "",
        alert_key: str | None = None,
        created_at: datetime | None = None,
        priority: str | None = None,
    ) -> dict[str, Any]:
        """A new incident shaped like the spec's example; `incident_key=None` mimics grouped alerts."""
        with self._lock:
            number = next(self._ids)
            incident_id = f"PINC{number:03d}"
            incident = copy.deepcopy(self._template)
            created = pd_time(created_at or datetime.now(UTC))
            incident.update(
                id=incident_id,
                incident_number=number,
                title=title,
                summary=f"[#{number}] {title}",
                self=f"{self.base_url}/incidents/{incident_id}",
                html_url=f"https://example.pagerduty.com/incidents/{incident_id}",
                created_at=created,
                updated_at=created,
                last_status_change_at=created,
                status=status,
                urgency=urgency,
                incident_key=f"key-{incident_id.lower()}" if incident_key == "" else incident_key,
                resolved_at=created if status == "resolved" else None,
                priority=self._priority(priority) if priority else None,
            )
            incident["service"] = {**incident["service"], "id": service_id, "summary": service_name}
            self._incidents[incident_id] = incident
            alert = copy.deepcopy(self._alert_template)
            alert.update(
                id=f"PALR{number:03d}",
                summary=title,
                created_at=created,
                status="resolved" if status == "resolved" else "triggered",
                alert_key=alert_key or incident["incident_key"] or f"alert-{number}",
                incident={"id": incident_id, "type": "incident_reference"},
            )
            self._alerts[incident_id] = [alert]
            self._notes[incident_id] = []
            return copy.deepcopy(incident)

    def set_status(self, incident_id: str, status: str) -> dict[str, Any]:
        with self._lock:
            self._incidents[incident_id]["status"] = status
            return copy.deepcopy(self._incidents[incident_id])

    def incident(self, incident_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._incidents[incident_id])

    def notes_for(self, incident_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._notes.get(incident_id, []))

    def note_count(self) -> int:
        with self._lock:
            return sum(len(notes) for notes in self._notes.values())

    @property
    def updates(self) -> list[tuple[str, dict[str, Any]]]:
        """(incident id, the `incident` object of each accepted PUT), oldest first."""
        with self._lock:
            return copy.deepcopy(self._updates)

    def webhook_body(self, incident_id: str, event_type: str = "incident.triggered") -> dict[str, Any]:
        """A webhooks v3 body for the incident, shaped as PagerDuty sends it."""
        incident = self.incident(incident_id)
        data = {
            key: incident.get(key)
            for key in ("id", "self", "html_url", "status", "incident_key", "created_at", "title", "service")
        }
        data.update(
            type="incident",
            number=incident["incident_number"],
            urgency=incident["urgency"],
            priority=incident["priority"],
            escalation_policy=incident["escalation_policy"],
            teams=incident["teams"],
            assignees=[],
            conference_bridge=None,
            resolve_reason=None,
        )
        return {
            "event": {
                "id": f"01EVT{incident_id}{event_type.rsplit('.', 1)[-1].upper()}",
                "event_type": event_type,
                "resource_type": "incident",
                "occurred_at": pd_time(datetime.now(UTC)),
                "agent": None,
                "client": None,
                "data": data,
            }
        }

    def reset(self) -> None:
        """Forget recordings, incidents and notes."""
        with self._lock:
            super().reset()
            self._incidents.clear()
            self._alerts.clear()
            self._notes.clear()
            self._updates.clear()

    def fault_body(self, status: int) -> Any:
        return pd_error(status).body

    # dispatch --------------------------------------------------------------------------------

    def handle(self, req: RecordedRequest) -> StubResponse:
        found = find_operation(req.method, req.path)
        if found is None:
            self.record_violation(f"{req.method} {req.path}: not an emulated PagerDuty operation")
            return pd_error(404)
        operation, params = found
        where = f"{req.method} {operation.template}"
        auth = auth_problem(req)
        if auth is not None:
            self.record_violation(f"{where}: {auth}")
            return pd_error(401)
        problems = operation.problems(req)
        if problems:
            for problem in problems:
                self.record_violation(f"{where}: {problem}")
            return pd_error(400, errors=problems)
        if req.headers["authorization"] != f"Token token={self.token}":
            return pd_error(401)
        if "from" in operation.headers and req.headers["from"] not in self.users:
            return pd_error(400, "Requester User Not Found", ["From must be the email of a user on the account"])
        incident_id = params.get("id")
        with self._lock:
            if incident_id is not None and incident_id not in self._incidents:
                return pd_error(404, "Incident Not Found")
            handler = getattr(self, "_" + operation.operation_id)
            response: StubResponse = handler(req, incident_id)
            return response

    # operations (called with the lock held) ---------------------------------------------------

    def _listIncidents(self, req: RecordedRequest, _: None) -> StubResponse:
        q, lists = req.query, req.query_lists
        now = datetime.now(UTC)
        matched = list(self._incidents.values())
        if q.get("date_range") != "all":
            since = _parse_time(q["since"]) if "since" in q else now - timedelta(days=30)
            until = _parse_time(q["until"]) if "until" in q else now
            matched = [i for i in matched if since <= _parse_time(i["created_at"]) < until]
        for param, key in (("statuses[]", "status"), ("urgencies[]", "urgency"), ("incident_key", "incident_key")):
            if param in lists:
                matched = [i for i in matched if i[key] in lists[param]]
        if "service_ids[]" in lists:
            matched = [i for i in matched if i["service"]["id"] in lists["service_ids[]"]]
        if q.get("sort_by", "").endswith(":desc"):
            matched.reverse()
        return self._page(req, "incidents", matched)

    def _getIncident(self, req: RecordedRequest, incident_id: str) -> StubResponse:
        return StubResponse(200, {"incident": copy.deepcopy(self._incidents[incident_id])})

    def _listIncidentAlerts(self, req: RecordedRequest, incident_id: str) -> StubResponse:
        return self._page(req, "alerts", self._alerts[incident_id])

    def _listIncidentNotes(self, req: RecordedRequest, incident_id: str) -> StubResponse:
        return StubResponse(200, {"notes": copy.deepcopy(self._notes[incident_id])})

    def _createIncidentNote(self, req: RecordedRequest, incident_id: str) -> StubResponse:
        content = req.json["note"]["content"]
        if len(content) > NOTE_LIMIT:
            self.record_violation(f"POST /incidents/{{id}}/notes: content of {len(content)} > {NOTE_LIMIT} chars")
            return pd_error(400, errors=[f"Note content must be at most {NOTE_LIMIT} characters"])
        now = pd_time(datetime.now(UTC))
        note = {
            "id": f"PNOTE{sum(len(n) for n in self._notes.values()) + 1:03d}",
            "user": {"id": "PUSER01", "type": "user_reference", "summary": req.headers["from"]},
            "channel": {"summary": "The PagerDuty website or APIs"},
            "content": content,
            "created_at": now,
            "updated_at": now,
        }
        self._notes[incident_id].append(note)
        # The spec says 200 (a known defect); PagerDuty answers 201 Created.
        return StubResponse(201, {"note": copy.deepcopy(note)})

    def _updateIncident(self, req: RecordedRequest, incident_id: str) -> StubResponse:
        fields = dict(req.json["incident"])
        incident = self._incidents[incident_id]
        if "priority" in fields:
            wanted = fields["priority"]
            name = (
                wanted
                if isinstance(wanted, str)
                else next((n for n, pid in PRIORITIES.items() if pid == wanted.get("id")), None)
            )
            if name not in PRIORITIES:
                return pd_error(400, errors=[f"Priority {wanted!r} not found"])
            incident["priority"] = self._priority(name)
        for key in ("status", "urgency", "title"):
            if key in fields:
                incident[key] = fields[key]
        incident["updated_at"] = pd_time(datetime.now(UTC))
        self._updates.append((incident_id, fields))
        return StubResponse(200, {"incident": copy.deepcopy(incident)})

    def _page(self, req: RecordedRequest, name: str, items: list[dict[str, Any]]) -> StubResponse:
        limit = int(req.query.get("limit", "25"))
        offset = int(req.query.get("offset", "0"))
        page = items[offset : offset + limit]
        body = {
            name: copy.deepcopy(page),
            "limit": limit,
            "offset": offset,
            "more": offset + len(page) < len(items),
            "total": len(items) if req.query.get("total") == "true" else None,
        }
        return StubResponse(200, body)

    def _priority(self, name: str) -> dict[str, Any]:
        pid = PRIORITIES[name]
        return {"id": pid, "type": "priority_reference", "summary": name, "self": f"{self.base_url}/priorities/{pid}"}
