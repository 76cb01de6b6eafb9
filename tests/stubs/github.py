"""GitHub REST stub: list a repository's issues, create/edit/list issue comments, rate-limit headers.

Enforced as GitHub documents it: a token (`Authorization: Bearer <token>`, or the older `token
<token>`), `Accept: application/vnd.github+json` (or another `application/vnd.github` type) and a
supported `X-GitHub-Api-Version`; `since` in ISO 8601, `labels` comma-separated (issues carrying all
of them), `per_page` at most 100; comment bodies non-empty strings of at most 65,536 characters.

Every answer carries `x-ratelimit-limit/remaining/used/reset` for the token's budget (`remaining`,
`reset_at` are settable). With nothing remaining GitHub answers 403 until the reset; a request that
arrives before a reset the stub announced is recorded in `early_requests`. `secondary_limit()`
answers the next request 403 with `retry-after` (the base class records early retries of that).
"""

from __future__ import annotations

import copy
import itertools
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.stubs.http import RecordedRequest, StubResponse, StubServer

API_VERSIONS = ("2022-11-28", "2026-03-10")
_ISSUES = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/issues$")
_ISSUE_COMMENTS = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<number>\d+)/comments$")
_COMMENT = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/issues/comments/(?P<id>\d+)$")
_SINCE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
COMMENT_LIMIT = 65_536


def gh_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class StubIssue:
    repository: str
    number: int
    title: str
    created: datetime
    updated: datetime
    labels: list[str] = field(default_factory=list)
    author: str = "octocat"
    body: str = ""
    state: str = "open"
    pull_request: bool = False
    comments: list[dict[str, Any]] = field(default_factory=list)

    def raw(self, base_url: str) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": 1000 + self.number,
            "number": self.number,
            "title": self.title,
            "body": self.body,
            "state": self.state,
            "labels": [{"name": name} for name in self.labels],
            "user": {"login": self.author},
            "created_at": gh_time(self.created),
            "updated_at": gh_time(self.updated),
            "html_url": f"https://github.example/{self.repository}/issues/{self.number}",
            "repository_url": f"{base_url}/repos/{self.repository}",
            "comments": len(self.comments),
        }
        if self.pull_request:
            item["pull_request"] = {"url": f"{base_url}/repos/{self.repository}/pulls/{self.number}"}
        return item


class GitHubStub(StubServer):
    def __init__(self, *, token: str = "ghp-test-token", limit: int = 5000) -> None:
        super().__init__()
        self.token = token
        self.limit = limit
        self.remaining = limit
        self.reset_at = time.time() + 3600
        self.issues: dict[tuple[str, int], StubIssue] = {}
        self.early_requests: list[RecordedRequest] = []
        self._secondary: list[int] = []
        self._ids = itertools.count(5000)

    # vendor state ----------------------------------------------------------------------------

    def add_issue(self, repository: str, number: int, title: str, created: datetime, **fields: Any) -> StubIssue:
        fields.setdefault("updated", created)
        with self._lock:
            issue = self.issues[(repository, number)] = StubIssue(repository, number, title, created, **fields)
            return issue

    def comments_on(self, repository: str, number: int) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self.issues[(repository, number)].comments)

    def exhaust(self, reset_in: float, remaining: int = 0) -> None:
        """Leave `remaining` requests in the budget, replenished `reset_in` seconds from now."""
        with self._lock:
            self.remaining = remaining
            self.reset_at = time.time() + reset_in

    def secondary_limit(self, retry_after: int = 2) -> None:
        """Answer the next request with a secondary rate limit (403 + retry-after)."""
        with self._lock:
            self._secondary.append(retry_after)

    def fault_body(self, status: int) -> Any:
        return {"message": f"injected fault {status}", "documentation_url": "https://docs.github.com/rest"}

    # request handling ------------------------------------------------------------------------

    def handle(self, req: RecordedRequest) -> StubResponse:
        refusal = self._refuse_headers(req)
        if refusal is not None:
            return refusal
        with self._lock:
            if self._secondary:
                seconds = self._secondary.pop(0)
                body = {
                    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
                }
                return StubResponse(403, body, {**self._rate_headers(), "retry-after": str(seconds)})
            if time.time() >= self.reset_at:
                self.remaining, self.reset_at = self.limit, time.time() + 3600
            if self.remaining <= 0:
                self.early_requests.append(req)
                return StubResponse(403, {"message": "API rate limit exceeded for user."}, self._rate_headers())
            self.remaining -= 1
            response = self._route(req)
            response.headers.update(self._rate_headers())
            return response

    def _refuse_headers(self, req: RecordedRequest) -> StubResponse | None:
        scheme, _, token = req.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token") or token != self.token:
            return StubResponse(
                401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
            )
        accept = req.headers.get("accept", "")
        if "application/vnd.github" not in accept:
            self.record_violation(f"{req.method} {req.path}: Accept {accept!r} is not application/vnd.github+json")
            return StubResponse(415, {"message": "Unsupported 'Accept' header; use application/vnd.github+json"})
        version = req.headers.get("x-github-api-version")
        if version not in API_VERSIONS:
            self.record_violation(f"{req.method} {req.path}: X-GitHub-Api-Version {version!r} is not supported")
            return StubResponse(400, {"message": f"API version {version!r} is not supported."})
        return None

    def _rate_headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(max(0, self.remaining)),
            "x-ratelimit-used": str(self.limit - max(0, self.remaining)),
            "x-ratelimit-reset": str(int(self.reset_at + 0.999)),
            "x-ratelimit-resource": "core",
        }

    def _route(self, req: RecordedRequest) -> StubResponse:
        if (found := _ISSUES.match(req.path)) and req.method == "GET":
            return self._list_issues(req, found["repo"])
        if found := _ISSUE_COMMENTS.match(req.path):
            issue = self.issues.get((found["repo"], int(found["number"])))
            if issue is None:
                return StubResponse(404, {"message": "Not Found"})
            if req.method == "GET":
                return self._list_comments(req, issue)
            if req.method == "POST":
                return self._save_comment(req, issue, None)
        if (found := _COMMENT.match(req.path)) and req.method in ("PATCH", "GET"):
            for issue in self.issues.values():
                for comment in issue.comments:
                    if issue.repository == found["repo"] and str(comment["id"]) == found["id"]:
                        if req.method == "GET":
                            return StubResponse(200, copy.deepcopy(comment))
                        return self._save_comment(req, issue, comment)
            return StubResponse(404, {"message": "Not Found"})
        return StubResponse(404, {"message": "Not Found"})

    def _page(self, req: RecordedRequest) -> tuple[int, int] | StubResponse:
        try:
            per_page, page = int(req.query.get("per_page", 30)), int(req.query.get("page", 1))
        except ValueError:
            return StubResponse(422, {"message": "per_page and page must be integers"})
        if not 1 <= per_page <= 100 or page < 1:
            self.record_violation(f"per_page {per_page} / page {page} out of range")
            return StubResponse(422, {"message": "per_page must be 1..100"})
        return per_page, page

    def _since(self, req: RecordedRequest) -> datetime | StubResponse | None:
        since = req.query.get("since")
        if since is None:
            return None
        if not _SINCE.match(since):
            self.record_violation(f"since {since!r} is not ISO 8601 YYYY-MM-DDTHH:MM:SSZ")
            return StubResponse(422, {"message": "Invalid value for parameter 'since'"})
        return datetime.fromisoformat(since.replace("Z", "+00:00"))

    def _list_issues(self, req: RecordedRequest, repository: str) -> StubResponse:
        paging, since = self._page(req), self._since(req)
        if isinstance(paging, StubResponse):
            return paging
        if isinstance(since, StubResponse):
            return since
        state = req.query.get("state", "open")
        wanted = [label.strip().lower() for label in req.query.get("labels", "").split(",") if label.strip()]
        issues = [
            issue
            for (repo, _), issue in self.issues.items()
            if repo == repository
            and (state == "all" or issue.state == state)
            and all(label in {name.lower() for name in issue.labels} for label in wanted)
            and (since is None or issue.updated >= since)
        ]
        key = (lambda i: i.created) if req.query.get("sort", "created") == "created" else (lambda i: i.updated)
        issues.sort(key=key, reverse=req.query.get("direction", "desc") == "desc")
        per_page, page = paging
        chunk = issues[(page - 1) * per_page : page * per_page]
        return StubResponse(200, [issue.raw(self.base_url) for issue in chunk])

    def _list_comments(self, req: RecordedRequest, issue: StubIssue) -> StubResponse:
        paging, since = self._page(req), self._since(req)
        if isinstance(paging, StubResponse):
            return paging
        if isinstance(since, StubResponse):
            return since
        comments = [
            c
            for c in issue.comments
            if since is None or datetime.fromisoformat(c["updated_at"].replace("Z", "+00:00")) >= since
        ]
        per_page, page = paging
        return StubResponse(200, copy.deepcopy(comments[(page - 1) * per_page : page * per_page]))

    def _save_comment(self, req: RecordedRequest, issue: StubIssue, existing: dict[str, Any] | None) -> StubResponse:
        body = req.json.get("body") if isinstance(req.json, dict) else None
        if not isinstance(body, str) or not body.strip() or len(body) > COMMENT_LIMIT:
            self.record_violation(
                f"{req.method} {req.path}: body must be a non-empty string of at most {COMMENT_LIMIT}"
            )
            return StubResponse(422, {"message": "Validation Failed", "errors": [{"field": "body", "code": "invalid"}]})
        now = datetime.now(UTC)
        if existing is not None:
            existing.update(body=body, updated_at=gh_time(now))
            return StubResponse(200, copy.deepcopy(existing))
        comment_id = next(self._ids)
        comment = {
            "id": comment_id,
            "body": body,
            "user": {"login": "alertfleet[bot]"},
            "created_at": gh_time(now),
            "updated_at": gh_time(now),
            "html_url": f"https://github.example/{issue.repository}/issues/{issue.number}#issuecomment-{comment_id}",
        }
        issue.comments.append(comment)
        return StubResponse(201, copy.deepcopy(comment))
