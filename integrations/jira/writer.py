"""Investigation -> one Jira comment per (investigation, issue), in ADF: created once, edited when the
findings change, found by its marker when a write's answer was lost (alertfleet.comment_writing).

`WriteError.recoverable` decides retries: 429 (Retry-After), 5xx and no answer retry with the fleet's
backoff; 400/401/403/404 dead-letter with Jira's message and a hint.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from alertfleet.comment_writing import CommentGone, IssueCommentWriter
from alertfleet.models import Investigation
from alertfleet.request_gate import Throttled
from alertfleet.writing import RateLimited, WriteError
from integrations.jira.client import JiraApi, JiraFailure
from integrations.jira.render import comment_body, marker_of

_HINTS = {
    400: "Jira refused the comment",
    401: "check JIRA_USERNAME and JIRA_API_TOKEN",
    403: "the account may not comment on this issue (Add Comments permission)",
    404: "no such issue, or the account cannot see it",
}
CLOCK_SKEW = 300.0


class JiraWriter(IssueCommentWriter):
    destination = "jira"

    def __init__(self, api: JiraApi, public_url: str | None = None, *, prepaid_requests: int = 0) -> None:
        super().__init__(api.gate, public_url, prepaid_requests)
        self.api = api

    def render(self, investigation: Investigation) -> tuple[Any, str]:
        return comment_body(investigation, self.public_url)

    def create(self, target: str, body: Any) -> tuple[str, dict[str, Any]]:
        return self.api.add_comment(target, body), {}

    def update(self, target: str, comment_id: str, body: Any) -> None:
        try:
            self.api.update_comment(target, comment_id, body)
        except JiraFailure as failure:
            if failure.status == 404:
                raise CommentGone(comment_id) from None
            raise

    def comments(self, target: str, since: float) -> Iterator[tuple[str, Any]]:
        for comment in self.api.comments(target):  # newest first
            yield str(comment["id"]), comment.get("body")
            if _created(comment) < since - CLOCK_SKEW:
                return  # older comments predate the first attempt

    def marker(self, body: Any) -> tuple[str, str] | None:
        return marker_of(body)

    def error(self, failure: Exception, what: str) -> WriteError | None:
        if isinstance(failure, Throttled):
            return RateLimited(failure.args[0], failure.wait)
        if not isinstance(failure, JiraFailure):
            return None
        if failure.status == 429:
            return RateLimited(f"jira rate limit on {what}", failure.retry_after)
        if failure.status == 0 or failure.status >= 500 or failure.status == 408:
            return WriteError(f"jira {what}: {failure}", recoverable=True, retry_after=failure.retry_after)
        hint = _HINTS.get(failure.status, "Jira refused the request")
        return WriteError(f"jira {what}: {failure} ({hint})", recoverable=False)


def _created(comment: dict[str, Any]) -> float:
    try:
        return datetime.strptime(str(comment.get("created")), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        return float("inf")
