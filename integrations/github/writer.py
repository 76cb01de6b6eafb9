"""Investigation -> one GitHub issue comment per (investigation, issue), in markdown with a hidden
marker: created once, edited when the findings change, found when an answer was lost
(alertfleet.comment_writing).

Rate limits (x-ratelimit-remaining 0, a secondary limit's retry-after) are RateLimited: the write task
pauses GitHub fleet-wide and retries after the time. 5xx and no answer retry with backoff;
401/403/404/410/422 dead-letter with GitHub's message and a hint.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from alertfleet.comment_writing import CommentGone, IssueCommentWriter
from alertfleet.models import Investigation
from alertfleet.request_gate import Throttled
from alertfleet.writing import RateLimited, WriteError
from integrations.github.client import GitHubApi, GitHubFailure
from integrations.github.render import comment_body, marker_of
from integrations.github.source import parse_ref

_HINTS = {
    401: "check GITHUB_TOKEN",
    403: "the token may not comment here (needs repo, or public_repo, scope / issues: write)",
    404: "no such issue, or the token cannot see the repository",
    410: "issues are disabled on this repository",
    422: "GitHub refused the comment",
}
CLOCK_SKEW = 300.0


class GitHubWriter(IssueCommentWriter):
    destination = "github"

    def __init__(self, api: GitHubApi, public_url: str | None = None, *, prepaid_requests: int = 0) -> None:
        super().__init__(api.gate, public_url, prepaid_requests)
        self.api = api

    def render(self, investigation: Investigation) -> tuple[Any, str]:
        return comment_body(investigation, self.public_url)

    def create(self, target: str, body: Any) -> tuple[str, dict[str, Any]]:
        repository, number = _target(target)
        comment = self.api.create_comment(repository, number, body)
        return str(comment["id"]), {"url": comment.get("html_url")}

    def update(self, target: str, comment_id: str, body: Any) -> None:
        repository, _ = _target(target)
        try:
            self.api.update_comment(repository, int(comment_id), body)
        except GitHubFailure as failure:
            if failure.status == 404:
                raise CommentGone(comment_id) from None
            raise

    def comments(self, target: str, since: float) -> Iterator[tuple[str, Any]]:
        repository, number = _target(target)
        after = datetime.fromtimestamp(since - CLOCK_SKEW, UTC)
        for comment in self.api.comments_since(repository, number, after):
            yield str(comment["id"]), comment.get("body")

    def marker(self, body: Any) -> tuple[str, str] | None:
        return marker_of(body if isinstance(body, str) else None)

    def error(self, failure: Exception, what: str) -> WriteError | None:
        if isinstance(failure, Throttled):
            return RateLimited(failure.args[0], failure.wait)
        if not isinstance(failure, GitHubFailure):
            return None
        if failure.rate_limited:
            return RateLimited(f"github rate limit on {what}: {failure.message}", failure.retry_after)
        if failure.status == 0 or failure.status >= 500:
            return WriteError(f"github {what}: {failure}", recoverable=True)
        hint = _HINTS.get(failure.status, "GitHub refused the request")
        return WriteError(f"github {what}: {failure} ({hint})", recoverable=False)


def _target(target: str) -> tuple[str, int]:
    try:
        return parse_ref(target)
    except ValueError as err:
        raise WriteError(f"github: {err}", recoverable=False) from None
