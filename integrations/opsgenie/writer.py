"""Writes an investigation to an OpsGenie alert as a note (and, in `update` mode, tags and priority).

OpsGenie answers every write with 202 and a request id; the write counts only once
`GET /v2/alerts/requests/{id}` says it succeeded, so a request OpsGenie later rejects is a failed write.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Literal

from alertfleet.keys import content_hash
from alertfleet.models import Investigation, WriteRecord
from alertfleet.writing import RequestBudget, Throttle, WriteError, WriteResult
from integrations.opsgenie.client import OpsGenieClient, RequestStatus
from integrations.opsgenie.render import footer_marker, render_note
from integrations.opsgenie.source import created_at_ms

Mode = Literal["read-only", "notes", "update"]
MAX_PENDING = 1024
CLOCK_SKEW = 120.0  # seconds of disagreement tolerated between our clock and OpsGenie's createdAt


class OpsGenieWriter:
    destination = "opsgenie"

    def __init__(
        self,
        client: OpsGenieClient,
        *,
        mode: Mode = "notes",
        update_tags: Sequence[str] = ("alertfleet:investigated",),
        update_priority: str | None = None,
        confirm_timeout: float = 10.0,
        confirm_interval: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
        throttle: Throttle | None = None,
        prepaid_requests: int = 0,
    ) -> None:
        """`throttle` is charged for every request of a write but the first `prepaid_requests`."""
        self.client = client
        self.throttle = throttle
        self.prepaid_requests = prepaid_requests
        self.mode = mode
        self.update_tags = list(update_tags)
        self.update_priority = update_priority
        self.confirm_timeout = confirm_timeout
        self.confirm_interval = confirm_interval
        self.sleep = sleep
        # Notes sent but not yet confirmed, so a retry confirms the same request instead of posting twice.
        self._pending: dict[tuple[str, str, str], str] = {}
        self._lock = threading.Lock()

    def write(self, investigation: Investigation, target: str, previous: WriteRecord | None) -> WriteResult:
        note = render_note(investigation)
        note_hash = content_hash(note)
        tags = self.update_tags if self.mode == "update" else []
        priority = self.update_priority if self.mode == "update" else None
        digest = content_hash({"note": note_hash, "tags": tags, "priority": priority})
        if previous is not None and previous.content_hash == digest:
            return WriteResult(previous.external_id, digest, "unchanged", previous.details)
        if self.mode == "read-only":
            raise WriteError("OPSGENIE_MODE is read-only: nothing is written to OpsGenie", recoverable=False)
        budget = RequestBudget(self.throttle, self.prepaid_requests, "opsgenie")
        details: dict[str, str] = {"alert_id": target, "note_hash": note_hash}
        # Tags and priority go first: repeating them is harmless, so a retry can only repeat those.
        if tags:
            budget.take()
            request = self.client.add_tags(target, tags)
            details["tags_request_id"] = self._confirmed(request, "addTags", budget).request_id
        if priority:
            budget.take()
            request = self.client.update_priority(target, priority)
            details["priority_request_id"] = self._confirmed(request, "updateAlertPriority", budget).request_id
        if previous is not None and previous.details.get("note_hash") == note_hash:
            note_request = previous.external_id  # the note itself did not change: never post it twice
            with self._lock:
                self._pending.pop((investigation.id, target, note_hash), None)
        else:
            note_request = self._add_note(investigation.id, target, note_hash, note, budget)
        details["note_request_id"] = note_request
        return WriteResult(note_request, digest, "created" if previous is None else "updated", details)

    def _add_note(self, investigation_id: str, target: str, note_hash: str, note: str, budget: RequestBudget) -> str:
        key = (investigation_id, target, note_hash)
        with self._lock:
            request_id = self._pending.get(key)
        if request_id is None:
            budget.take()
            request_id = self.client.add_note(target, note)
            with self._lock:
                if len(self._pending) >= MAX_PENDING:
                    self._pending.pop(next(iter(self._pending)))
                self._pending[key] = request_id
        try:
            self._confirmed(request_id, "addNote", budget)
        except WriteError as err:
            if not err.recoverable:  # OpsGenie rejected it: a later try must send a new request
                with self._lock:
                    self._pending.pop(key, None)
            raise
        with self._lock:
            self._pending.pop(key, None)
        return request_id

    def find_previous(self, investigation: Investigation, target: str, since: float) -> WriteResult | None:
        """A note this investigation left on the alert since `since` whose record was lost (the worker
        died, or the confirmation timed out): the next write then skips that note if it is unchanged."""
        RequestBudget(self.throttle, 0, "opsgenie").take()
        marker = footer_marker(investigation)
        for note in self.client.list_notes(target):
            created = created_at_ms(note)
            if created is not None and created < (since - CLOCK_SKEW) * 1000:
                break  # newest first: everything further is older than the first attempt
            text = str(note.get("note") or "")
            if text.rstrip().endswith(marker):  # the id is unique; owners are display names, not reliable
                details = {"alert_id": target, "note_hash": content_hash(text)}
                # No content hash: tags and priority (if any) are applied again; the note is not.
                return WriteResult(f"found:{created}", "", "found", details)
        return None

    def _confirmed(self, request_id: str, action: str, budget: RequestBudget) -> RequestStatus:
        """Poll the request's status (bounded); a failed request is a failed write, not a success."""
        deadline = time.monotonic() + self.confirm_timeout
        delay = self.confirm_interval
        while True:
            budget.take()
            status = self.client.request_status(request_id)
            if status is not None:
                if status.is_success:
                    return status
                reason = status.status or "isSuccess is false"
                raise WriteError(f"opsgenie {action} request {request_id} failed: {reason}", recoverable=False)
            if time.monotonic() + delay > deadline:
                raise WriteError(
                    f"opsgenie has not processed {action} request {request_id} within {self.confirm_timeout:g}s",
                    recoverable=True,
                )
            self.sleep(delay)
            delay = min(delay * 2, 2.0)
