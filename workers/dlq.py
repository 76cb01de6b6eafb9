"""Dead letters: failed work with its reason, kept in Redis until replayed or dropped."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import redis

from alertfleet.keys import DLQ
from alertfleet.models import utcnow


@dataclass
class DeadLetter:
    task: str
    args: list[Any]
    reason: str
    attempts: int
    queue: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    failed_at: str = field(default_factory=lambda: utcnow().isoformat())


class DeadLetters:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def add(self, letter: DeadLetter) -> None:
        self.client.hset(DLQ, letter.id, json.dumps(asdict(letter)))

    def list(self) -> list[DeadLetter]:
        raw: dict[Any, Any] = cast(Any, self.client).hgetall(DLQ)
        letters = [DeadLetter(**json.loads(value)) for value in raw.values()]
        return sorted(letters, key=lambda letter: letter.failed_at)

    def get(self, letter_id: str) -> DeadLetter | None:
        raw = cast(Any, self.client).hget(DLQ, letter_id)
        return DeadLetter(**json.loads(raw)) if raw else None

    def drop(self, letter_id: str) -> bool:
        return bool(self.client.hdel(DLQ, letter_id))

    def count(self) -> int:
        return int(cast(Any, self.client).hlen(DLQ))
