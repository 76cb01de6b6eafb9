"""The write pipeline: lock -> read record -> vendor write -> record after success.

The record (key: investigation, destination, target) is what makes a redelivered task update or skip
instead of posting twice. The lock makes concurrent writes of one key take turns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import redis

from alertfleet.keys import lock_key, write_key
from alertfleet.models import Investigation, WriteRecord
from integrations.base import Writer, WriteResult

LOCK_TIMEOUT = 120
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
) -> WriteResult | None:
    """Write the investigation as it is *inside* the lock, so the last writer sends the newest state."""
    key = write_key(investigation_id, writer.destination, target)
    with client.lock(lock_key(key), timeout=LOCK_TIMEOUT, blocking_timeout=LOCK_TIMEOUT):
        investigation = load(investigation_id)
        if investigation is None or investigation.result is None:
            return None
        previous = load_record(client, key)
        result = writer.write(investigation, target, previous)
        if result.action != "unchanged":
            record = WriteRecord(
                destination=writer.destination,
                target=target,
                external_id=result.external_id,
                content_hash=result.content_hash,
                details=result.details,
                writes=(previous.writes + 1) if previous else 1,
            )
            client.set(key, record.model_dump_json(), ex=RECORD_TTL)
        return result
