"""Investigation -> one GitHub issue comment per (investigation, issue): created once, edited when
the findings change, found by its hidden marker when a write's answer was lost.

Rate limits (x-ratelimit-remaining 0, a secondary limit's retry-after) are RateLimited: the write task
pauses GitHub fleet-wide and retries after the time. 5xx and no answer retry with backoff;
401/403/404/410/422 dead-letter with GitHub's message and a hint.
"""

from __future__ import annotations

from datetime import UTC, datetime

from alertfleet.models import Investigation, WriteRecord
from alertfleet.request_gate import Throttled
from alertfleet.writing import RateLimited, WriteError, WriteResult
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


def write_error(failure: GitHubFailure | Throttled, what: str) -> WriteError:
    if isinstance(failure, Throttled):
        return RateLimited(failure.args[0], failure.wait)
    if failure.rate_limited:
        return RateLimited(f"github rate limit on {what}: {failure.message}", failure.retry_after)
    if failure.status == 0 or failure.status >= 500:
        return WriteError(f"github {what}: {failure}", recoverable=True)
    return WriteError(
        f"github {what}: {failure} ({_HINTS.get(failure.status, 'GitHub refused the request')})", recoverable=False
    )


class GitHubWriter:
    destination = "github"

    def __init__(self, api: GitHubApi, public_url: str | None = None, *, prepaid_requests: int = 0) -> None:
        self.api = api
        self.public_url = public_url
        self.prepaid_requests = prepaid_requests

    def write(self, investigation: Investigation, target: str, previous: WriteRecord | None) -> WriteResult:
        repository, number = _target(target)
        body, digest = comment_body(investigation, self.public_url)
        if previous is not None and previous.content_hash == digest:
            return WriteResult(previous.external_id, digest, "unchanged")
        self.api.gate.prepaid(self.prepaid_requests)
        try:
            if previous is not None:
                try:
                    self.api.update_comment(repository, int(previous.external_id), body)
                    return WriteResult(previous.external_id, digest, "updated", {"issue": target})
                except GitHubFailure as failure:
                    if failure.status != 404:
                        raise
                    # The comment was deleted: the findings still belong on the issue.
            comment = self.api.create_comment(repository, number, body)
        except (GitHubFailure, Throttled) as failure:
            raise write_error(failure, f"comment on {target}") from None
        finally:
            self.api.gate.prepaid(0)
        return WriteResult(str(comment["id"]), digest, "created", {"issue": target, "url": comment.get("html_url")})

    def find_previous(self, investigation: Investigation, target: str, since: float) -> WriteResult | None:
        """The comment an earlier attempt added (its hidden marker names this investigation), if any."""
        repository, number = _target(target)
        after = datetime.fromtimestamp(since - 300, UTC)  # five minutes of clock skew
        try:
            comments = self.api.comments_since(repository, number, after)
        except (GitHubFailure, Throttled) as failure:
            raise write_error(failure, f"comments of {target}") from None
        for comment in comments:
            marker = marker_of(comment.get("body"))
            if marker is not None and marker[0] == investigation.id:
                return WriteResult(str(comment["id"]), marker[1], "created", {"issue": target})
        return None


def _target(target: str) -> tuple[str, int]:
    try:
        return parse_ref(target)
    except ValueError as err:
        raise WriteError(f"github: {err}", recoverable=False) from None
