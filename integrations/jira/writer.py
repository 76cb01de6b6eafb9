"""Investigation -> one Jira comment per (investigation, issue): created once, edited when the
findings change, found by its marker when a write's answer was lost.

`WriteError.recoverable` decides retries: 429 (Retry-After), 5xx and no answer retry with the fleet's
backoff; 400/401/403/404 dead-letter with Jira's message and a hint.
"""

from __future__ import annotations

from datetime import datetime

from alertfleet.models import Investigation, WriteRecord
from alertfleet.request_gate import Throttled
from alertfleet.writing import RateLimited, WriteError, WriteResult
from integrations.jira.client import JiraApi, JiraFailure
from integrations.jira.render import comment_body, marker_of

_HINTS = {
    400: "Jira refused the comment",
    401: "check JIRA_USERNAME and JIRA_API_TOKEN",
    403: "the account may not comment on this issue (Add Comments permission)",
    404: "no such issue, or the account cannot see it",
}


def write_error(failure: JiraFailure | Throttled, what: str) -> WriteError:
    """A Jira failure as the write task's contract: retry (with any Retry-After) or dead-letter."""
    if isinstance(failure, Throttled):
        return RateLimited(failure.args[0], failure.wait)
    if failure.status == 429:
        return RateLimited(f"jira rate limit on {what}", failure.retry_after)
    if failure.status == 0 or failure.status >= 500 or failure.status == 408:
        return WriteError(f"jira {what}: {failure}", recoverable=True, retry_after=failure.retry_after)
    hint = _HINTS.get(failure.status, "Jira refused the request")
    return WriteError(f"jira {what}: {failure} ({hint})", recoverable=False)


class JiraWriter:
    destination = "jira"

    def __init__(self, api: JiraApi, public_url: str | None = None, *, prepaid_requests: int = 0) -> None:
        self.api = api
        self.public_url = public_url
        self.prepaid_requests = prepaid_requests

    def write(self, investigation: Investigation, target: str, previous: WriteRecord | None) -> WriteResult:
        body, digest = comment_body(investigation, self.public_url)
        if previous is not None and previous.content_hash == digest:
            return WriteResult(previous.external_id, digest, "unchanged")
        self.api.gate.prepaid(self.prepaid_requests)
        try:
            if previous is not None:
                try:
                    self.api.update_comment(target, previous.external_id, body)
                    return WriteResult(previous.external_id, digest, "updated", {"issue": target})
                except JiraFailure as failure:
                    if failure.status != 404:
                        raise
                    # Someone deleted the comment: the findings still belong on the issue.
            comment_id = self.api.add_comment(target, body)
        except (JiraFailure, Throttled) as failure:
            raise write_error(failure, f"comment on {target}") from None
        finally:
            self.api.gate.prepaid(0)
        return WriteResult(comment_id, digest, "created", {"issue": target})

    def find_previous(self, investigation: Investigation, target: str, since: float) -> WriteResult | None:
        """The comment an earlier attempt added (its marker names this investigation), if any."""
        try:
            comments = self.api.comments(target)
        except (JiraFailure, Throttled) as failure:
            raise write_error(failure, f"comments of {target}") from None
        for comment in comments:
            marker = marker_of(comment.get("body"))
            if marker is not None and marker[0] == investigation.id:
                return WriteResult(str(comment["id"]), marker[1], "created", {"issue": target})
            if _created(comment) < since - 300:
                return None  # newest first: older comments predate the first attempt (5 min of clock skew)
        return None


def _created(comment: dict[str, object]) -> float:
    try:
        return datetime.strptime(str(comment.get("created")), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        return float("inf")
