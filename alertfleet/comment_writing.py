"""The writer shape of issue trackers (Jira, GitHub, ...): one comment per (investigation, issue),
created once, edited in place when the findings change, found by its marker when an answer was lost.

A vendor fills in how to render, create, update and list; the flow — skip what is unchanged, edit
rather than add, recreate a comment someone deleted, charge the requests to the shared budget — is
written once here. The marker carries the hash of the findings it shows, so a comment found after a
lost answer is known to be current or not without another request.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from alertfleet.models import Investigation, WriteRecord
from alertfleet.request_gate import RequestGate
from alertfleet.writing import WriteError, WriteResult


class CommentGone(Exception):
    """The comment to edit no longer exists (someone deleted it): the findings get a new one."""


class IssueCommentWriter(ABC):
    """Subclasses set `destination` and implement the vendor calls; `gate` is the client's RequestGate."""

    destination: str

    def __init__(self, gate: RequestGate, public_url: str | None, prepaid_requests: int) -> None:
        self.gate = gate
        self.public_url = public_url
        self.prepaid_requests = prepaid_requests

    @abstractmethod
    def render(self, investigation: Investigation) -> tuple[Any, str]:
        """(the comment body with its marker, the hash of its findings)."""

    @abstractmethod
    def create(self, target: str, body: Any) -> tuple[str, dict[str, Any]]:
        """Add the comment; (its id, details to record)."""

    @abstractmethod
    def update(self, target: str, comment_id: str, body: Any) -> None:
        """Edit the comment; raise CommentGone when it no longer exists."""

    @abstractmethod
    def comments(self, target: str, since: float) -> Iterable[tuple[str, Any]]:
        """(id, body) of the issue's comments, newest first where the vendor can, from about `since` on."""

    @abstractmethod
    def marker(self, body: Any) -> tuple[str, str] | None:
        """(investigation id, findings hash) of one of our comment bodies, or None."""

    @abstractmethod
    def error(self, failure: Exception, what: str) -> WriteError | None:
        """A vendor failure as the write contract (retry or dead-letter); None for what is not the vendor's."""

    def write(self, investigation: Investigation, target: str, previous: WriteRecord | None) -> WriteResult:
        body, digest = self.render(investigation)
        if previous is not None and previous.content_hash == digest:
            return WriteResult(previous.external_id, digest, "unchanged")
        self.gate.prepaid(self.prepaid_requests)
        try:
            if previous is not None:
                try:
                    self.update(target, previous.external_id, body)
                    return WriteResult(previous.external_id, digest, "updated", {"issue": target})
                except CommentGone:
                    pass
            comment_id, details = self.create(target, body)
        except Exception as failure:
            raise self._translated(failure, f"comment on {target}") from None
        finally:
            self.gate.prepaid(0)
        return WriteResult(comment_id, digest, "created", {"issue": target, **details})

    def find_previous(self, investigation: Investigation, target: str, since: float) -> WriteResult | None:
        """The comment an earlier attempt added (its marker names this investigation), if any."""
        try:
            for comment_id, body in self.comments(target, since):
                found = self.marker(body)
                if found is not None and found[0] == investigation.id:
                    return WriteResult(comment_id, found[1], "created", {"issue": target})
        except Exception as failure:
            raise self._translated(failure, f"comments of {target}") from None
        return None

    def _translated(self, failure: Exception, what: str) -> Exception:
        return self.error(failure, what) or failure
