"""The events stream as tests read it: each entry with its event, from the entry or the record it names."""

from __future__ import annotations

from typing import Any

import redis

from alertfleet.keys import EVENTS_STREAM, investigation_redis_key


def stream_entries(client: redis.Redis) -> list[dict[str, str]]:
    """A new investigation's entry only names its record (the event is stored once, there)."""
    entries: Any = client.xrange(EVENTS_STREAM)
    found = []
    for _id, fields in entries:
        entry = {k.decode(): v.decode() for k, v in fields.items()}
        if "event" not in entry:
            raw: Any = client.hget(investigation_redis_key(entry["inv"]), "event")
            entry["event"] = raw.decode()
        found.append(entry)
    return found
