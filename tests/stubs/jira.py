"""Jira Cloud REST v3 stub: serverInfo, field, myself, enhanced JQL search, issue comments.

Enforced as Jira Cloud does: basic auth (email + API token) on every request; JQL search only at
`GET|POST /rest/api/3/search/jql`, paged by an opaque `nextPageToken` (`startAt` is refused there;
the old `/rest/api/3/search` answers 410); comments listed by `startAt`/`maxResults`/`orderBy`; a
comment body must be an Atlassian Document Format document (tests/stubs/jira_adf.py), a v2-style
string is a 400. The stub reads the JQL clauses alertfleet writes (project, statusCategory, and
`created >= "yyyy-MM-dd HH:mm"` in the account's time zone) and records every query.
"""

from __future__ import annotations

import base64
import binascii
import copy
import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.stubs.http import RecordedRequest, StubResponse, StubServer
from tests.stubs.jira_adf import adf_problems, adf_text

API = "/rest/api/3"
_COMMENTS = re.compile(rf"^{API}/issue/(?P<key>[A-Z][A-Z0-9]*-\d+)/comment(?:/(?P<id>\d+))?$")
_CREATED = re.compile(r'created\s*>=\s*"(?P<at>\d{4}[-/]\d{2}[-/]\d{2} \d{2}:\d{2})"')
_PROJECT = re.compile(r'project\s*=\s*"?(?P<key>[A-Za-z0-9_]+)"?')


def jira_time(moment: datetime) -> str:
    """Jira's timestamp format: 2026-12-02T06:30:12.345+0000."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


@dataclass
class StubIssue:
    key: str
    summary: str
    created: datetime
    issuetype: str = "Bug"
    priority: str = "High"
    labels: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    done: bool = False
    description: str = ""
    comments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def project(self) -> str:
        return self.key.split("-", 1)[0]

    def raw(self, base_url: str) -> dict[str, Any]:
        description = (
            {
                "type": "doc",
                "version": 1,
                "content": [{"type": "paragraph", "content": [{"type": "text", "text": self.description}]}],
            }
            if self.description
            else None
        )
        return {
            "id": str(abs(hash(self.key)) % 100000),
            "key": self.key,
            "self": f"{base_url}{API}/issue/{self.key}",
            "fields": {
                "summary": self.summary,
                "description": description,
                "created": jira_time(self.created),
                "project": {"key": self.project, "name": self.project.title()},
                "issuetype": {"name": self.issuetype},
                "priority": {"name": self.priority},
                "labels": list(self.labels),
                "components": [{"name": name} for name in self.components],
                "status": {
                    "name": "Done" if self.done else "To Do",
                    "statusCategory": {"key": "done" if self.done else "new"},
                },
            },
        }


class JiraStub(StubServer):
    def __init__(self, *, email: str = "bot@example.com", token: str = "jira-token", time_zone: str = "UTC") -> None:
        super().__init__()
        self.credentials = base64.b64encode(f"{email}:{token}".encode()).decode()
        self.email = email
        self.time_zone = time_zone
        self.page_size = 50
        self.issues: dict[str, StubIssue] = {}
        self.queries: list[str] = []
        self._ids = itertools.count(10000)

    # vendor state ----------------------------------------------------------------------------

    def add_issue(self, key: str, summary: str, created: datetime, **fields: Any) -> StubIssue:
        with self._lock:
            issue = self.issues[key] = StubIssue(key, summary, created, **fields)
            return issue

    def comments_on(self, key: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self.issues[key].comments)

    def comment_texts(self, key: str) -> list[str]:
        return [adf_text(comment["body"]) for comment in self.comments_on(key)]

    def fault_body(self, status: int) -> Any:
        return {"errorMessages": [f"injected fault {status}"], "errors": {}}

    # request handling ------------------------------------------------------------------------

    def handle(self, req: RecordedRequest) -> StubResponse:
        if not self._authorised(req):
            return StubResponse(401, {"errorMessages": ["Client must be authenticated to access this resource."]})
        path = req.path
        if path == f"{API}/serverInfo":
            return StubResponse(
                200,
                {
                    "baseUrl": self.base_url,
                    "deploymentType": "Cloud",
                    "versionNumbers": [1001, 0, 0],
                    "version": "1001.0.0-SNAPSHOT",
                },
            )
        if path == f"{API}/field":
            return StubResponse(200, [{"id": "summary", "name": "Summary", "clauseNames": ["summary"]}])
        if path == f"{API}/myself":
            return StubResponse(
                200,
                {
                    "accountId": "5b10a2844c20165700ede21g",
                    "emailAddress": self.email,
                    "timeZone": self.time_zone,
                    "active": True,
                },
            )
        if path == f"{API}/search":
            return StubResponse(
                410, {"errorMessages": ["The requested API has been removed. Use /rest/api/3/search/jql."]}
            )
        if path == f"{API}/search/jql" and req.method in ("GET", "POST"):
            return self._search(req)
        found = _COMMENTS.match(path)
        if found is not None:
            return self._comments(req, found["key"], found["id"])
        return StubResponse(404, {"errorMessages": [f"no route for {req.method} {path}"]})

    def _authorised(self, req: RecordedRequest) -> bool:
        scheme, _, value = req.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            return base64.b64decode(value, validate=True).decode() == base64.b64decode(self.credentials).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False

    def _search(self, req: RecordedRequest) -> StubResponse:
        params: dict[str, Any] = dict(req.query)
        if req.method == "POST":
            params = dict(req.json or {})
        if "startAt" in params:
            self.record_violation("search/jql takes nextPageToken, not startAt")
            return StubResponse(400, {"errorMessages": ["startAt is not supported; use nextPageToken"]})
        jql = str(params.get("jql") or "")
        if not jql:
            return StubResponse(400, {"errorMessages": ["Unbounded JQL queries are not allowed here."]})
        with self._lock:
            self.queries.append(jql)
            matching = sorted(
                (i for i in self.issues.values() if self._matches(i, jql)), key=lambda i: (i.created, i.key)
            )
            raws = [issue.raw(self.base_url) for issue in matching]
        size = min(int(params.get("maxResults") or 50), self.page_size)
        start = _offset(params.get("nextPageToken"))
        if start is None:
            return StubResponse(400, {"errorMessages": ["The nextPageToken is invalid."]})
        page = raws[start : start + size]
        body: dict[str, Any] = {"issues": page, "isLast": start + size >= len(raws)}
        if not body["isLast"]:
            body["nextPageToken"] = base64.urlsafe_b64encode(json.dumps({"o": start + size}).encode()).decode()
        return StubResponse(200, body)

    def _matches(self, issue: StubIssue, jql: str) -> bool:
        project = _PROJECT.search(jql)
        if project is not None and project["key"] != issue.project:
            return False
        if re.search(r"statusCategory\s*!=\s*Done", jql, re.IGNORECASE) and issue.done:
            return False
        created = _CREATED.search(jql)
        if created is not None:
            since = datetime.strptime(created["at"].replace("/", "-"), "%Y-%m-%d %H:%M")
            if issue.created < since.replace(tzinfo=ZoneInfo(self.time_zone)):
                return False
        return True

    def _comments(self, req: RecordedRequest, key: str, comment_id: str | None) -> StubResponse:
        with self._lock:
            issue = self.issues.get(key)
            if issue is None:
                return StubResponse(
                    404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."]}
                )
            if comment_id is None and req.method == "GET":
                return self._list_comments(req, issue)
            if comment_id is None and req.method == "POST":
                return self._save_comment(req, issue, None)
            existing = next((c for c in issue.comments if c["id"] == comment_id), None)
            if existing is None:
                return StubResponse(404, {"errorMessages": ["Can not find a comment for the id"]})
            if req.method == "GET":
                return StubResponse(200, copy.deepcopy(existing))
            if req.method == "PUT":
                return self._save_comment(req, issue, existing)
        return StubResponse(405, {"errorMessages": [f"{req.method} is not allowed here"]})

    def _list_comments(self, req: RecordedRequest, issue: StubIssue) -> StubResponse:
        order = req.query.get("orderBy", "created")
        if order not in ("created", "+created", "-created"):
            return StubResponse(400, {"errorMessages": [f"orderBy {order!r} is not supported"]})
        comments = sorted(issue.comments, key=lambda c: c["created"], reverse=order == "-created")
        try:
            start, size = int(req.query.get("startAt", 0)), min(int(req.query.get("maxResults", 5000)), 100)
        except ValueError:
            return StubResponse(400, {"errorMessages": ["startAt and maxResults must be numbers"]})
        page = comments[start : start + size]
        return StubResponse(200, {"startAt": start, "maxResults": size, "total": len(comments), "comments": page})

    def _save_comment(self, req: RecordedRequest, issue: StubIssue, existing: dict[str, Any] | None) -> StubResponse:
        body = (req.json or {}).get("body") if isinstance(req.json, dict) else None
        problems = adf_problems(body)
        if req.content_type != "application/json":
            problems.append(f"Content-Type must be application/json, got {req.content_type!r}")
        if problems:
            self.record_violation("; ".join(problems))
            return StubResponse(400, {"errorMessages": [], "errors": {"comment": "INVALID_INPUT: " + problems[0]}})
        now = jira_time(datetime.now(UTC))
        if existing is not None:
            existing.update(body=body, updated=now)
            return StubResponse(200, copy.deepcopy(existing))
        comment_id = str(next(self._ids))
        comment = {
            "id": comment_id,
            "self": f"{self.base_url}{API}/issue/{issue.key}/comment/{comment_id}",
            "author": {"emailAddress": self.email},
            "body": body,
            "created": now,
            "updated": now,
        }
        issue.comments.append(comment)
        return StubResponse(201, copy.deepcopy(comment))


def _offset(token: Any) -> int | None:
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(str(token)))["o"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
