"""The write pipeline: lock -> read record -> vendor write -> record after success.

The record (key: investigation, destination, target) is what makes a redelivered task update or skip
instead of posting twice. The lock makes concurrent writes of one key take turns.

Every writer is handed the investigation redacted (alertfleet/redaction.py): whatever a vendor
renders — findings, labels, annotations, tool excerpts, a degraded reason — has no secret left in it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, cast

import redis
import redis.exceptions

from alertfleet.keys import lock_key, write_intent_key, write_key
from alertfleet.models import Investigation, WriteRecord
from alertfleet.writing import FindsLostWrites, Writer, WriteResult, redacted

# A write holds its key's lock for at most this long: a killed worker's lock frees itself in time
# for the re-drive (lease lapse + lock expiry stay well under a minute).
LOCK_TIMEOUT = 30
LOCK_WAIT = 2.0


class WriteBusy(Exception):
    """Another worker is writing this key right now; try again shortly (not a failure)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"write in progress elsewhere; retry in {retry_after:.1f}s")
        self.retry_after = retry_after


Turn = Callable[[], AbstractContextManager[object]]
RECORD_TTL = 30 * 24 * 3600


def load_record(client: redis.Redis, key: str) -> WriteRecord | None:
    raw = cast(Any, client).get(key)
    return WriteRecord.model_validate_json(raw) if raw else None


def perform_write(
    client: redis.Redis,
    writer: Writer,
    investigation_id: str,
    target: str,
    load: Callable[[str], Investigation | None],
    turn: Turn = contextlib.nullcontext,
) -> WriteResult | None:
    """Write the investigation as it is *inside* the lock, so the last writer sends the newest state.

    An intent marker written before a first write survives a worker killed between the vendor's answer
    and our record; the next attempt then asks the writer to find that write instead of repeating it.
    `turn` holds the destination's rate limit around the vendor requests alone (it may raise
    alertfleet.limits.NoTurn): the lock, the reads and the redaction happen before it, the record after
    it, so a paced target's next send is never kept waiting by this write's own bookkeeping.
    """
    key = write_key(investigation_id, writer.destination, target)
    redis_any = cast(Any, client)
    lock = client.lock(lock_key(key), timeout=LOCK_TIMEOUT, blocking_timeout=LOCK_WAIT)
    if not lock.acquire():
        remaining = int(redis_any.pttl(lock_key(key)))
        raise WriteBusy(max(0.5, remaining / 1000))
    try:
        investigation = load(investigation_id)
        if investigation is None or investigation.result is None:
            return None
        investigation = redacted(investigation)
        previous = load_record(client, key)
        intent = None if previous is not None else redis_any.get(write_intent_key(key))
        with turn():  # every vendor request, the lookup of a lost write included, inside the turn
            if previous is None:
                if intent and isinstance(writer, FindsLostWrites):
                    found = writer.find_previous(investigation, target, float(intent))
                    if found is not None:
                        previous = _record(writer, target, found, None)
                # Set only once the turn is held, so a throttled attempt leaves no marker of a write it never made.
                redis_any.set(write_intent_key(key), f"{time.time():.6f}", ex=RECORD_TTL, nx=True)  # keep the first
            result = writer.write(investigation, target, previous)
        if result.action != "unchanged":
            pipe = redis_any.pipeline()
            pipe.set(key, _record(writer, target, result, previous).model_dump_json(), ex=RECORD_TTL)
            pipe.delete(write_intent_key(key))
            pipe.execute()
        return result
    finally:
        with contextlib.suppress(redis.exceptions.LockError):
            lock.release()


def _record(writer: Writer, target: str, result: WriteResult, previous: WriteRecord | None) -> WriteRecord:
    return WriteRecord(
        destination=writer.destination,
        target=target,
        external_id=result.external_id,
        content_hash=result.content_hash,
        details=result.details,
        writes=(previous.writes + 1) if previous else 1,
    )
