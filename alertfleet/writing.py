"""The writer half of the integration interface (after Alertmanager's `Notify`): what a write returns,
how it fails, and the helpers every writer shares (request budget, truncation, Retry-After).

`WriteError.recoverable` is the whole retry contract: the writer says whether a retry can help; the
write task decides how (backoff, dead letter). Writers know nothing of Celery or Redis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, runtime_checkable

from alertfleet.models import Investigation, WriteRecord
from alertfleet.redaction import redact_value


@dataclass(frozen=True)
class WriteResult:
    """What the vendor confirmed: its id for the write and what we sent (its hash)."""

    external_id: str
    content_hash: str
    action: str  # "created", "updated" or "unchanged"
    details: dict[str, Any] = field(default_factory=dict)


class WriteError(Exception):
    """A failed write; `recoverable` is the whole retry contract (retry, or dead-letter)."""

    def __init__(self, reason: str, *, recoverable: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.recoverable = recoverable
        self.retry_after = retry_after


class RateLimited(WriteError):
    """The vendor (or the shared limiter) said "not now": recoverable, and pauses the vendor fleet-wide."""

    def __init__(self, reason: str, retry_after: float | None) -> None:
        super().__init__(reason, recoverable=True, retry_after=retry_after)


class Writer(Protocol):
    """Investigation -> vendor call. Knows nothing of Celery or Redis.

    `destination` is the integration's name (the write record's and the limiter's key); `target` is
    what the route or the source named (a channel, an incident id, a URL); `previous` is the record of
    the last successful write of this (investigation, destination, target), so a write updates or skips.
    """

    destination: str

    def write(self, investigation: Investigation, target: str, previous: WriteRecord | None) -> WriteResult:
        """Create the vendor object, or update it when `previous` says one exists."""
        ...


@runtime_checkable
class FindsLostWrites(Protocol):
    """A writer that can find what it wrote when the answer was lost (the worker died meanwhile)."""

    def find_previous(self, investigation: Investigation, target: str, since: float) -> WriteResult | None:
        """The vendor object written for this investigation since `since` (unix time), if any."""
        ...


def redacted(investigation: Investigation) -> Investigation:
    """The investigation as a writer may send it: every string in it with secrets masked
    (alertfleet/redaction.py). Both write paths — the fleet's (workers/writes.py) and the CLI's — hand
    writers only this, so no vendor's renderer has to remember it."""
    return Investigation.model_validate(redact_value(investigation.model_dump(mode="json")))


def truncate(text: str, limit: int, marker: str = "\n… (truncated)") -> str:
    """Cut text to a vendor's limit, saying so."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(marker))] + marker


Throttle = Callable[[], float]  # 0 when a request may go now, else the seconds until a slot frees


class RequestBudget:
    """One write's vendor requests against the shared limit; the first `prepaid` were paid by the task.

    A writer that makes several requests per write (note + status poll, tags + note) charges each one;
    the write task already took one token before calling the writer (`prepaid=1`).
    """

    def __init__(self, throttle: Throttle | None, prepaid: int, vendor: str) -> None:
        self.throttle = throttle
        self.prepaid = prepaid
        self.vendor = vendor

    def take(self) -> None:
        if self.throttle is None:
            return
        if self.prepaid > 0:
            self.prepaid -= 1
            return
        wait = self.throttle()
        if wait > 0:
            raise RateLimited(f"{self.vendor} request budget spent; next slot in {wait:.1f}s", wait)


def retry_after_seconds(value: Any) -> float | None:
    """A Retry-After value (seconds or an HTTP date, possibly in a list) as seconds; None if unreadable."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or value == "":
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        pass
    try:
        return max(0.0, (parsedate_to_datetime(str(value)) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None
