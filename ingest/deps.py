"""Per-app state (clients opened in the lifespan), reached from routes through the request."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis
from fastapi import Request

from alertfleet.settings import FleetSettings
from ingest.auth import check_token
from ingest.intake import Intake


@dataclass
class IngestState:
    settings: FleetSettings
    redis: aioredis.Redis
    intake: Intake

    @property
    def max_body_bytes(self) -> int:
        return self.settings.max_body_bytes

    def check_token(self, authorization: str | None) -> None:
        token = self.settings.ingest_token
        check_token(token.get_secret_value() if token else None, authorization)


def ingest_state(request: Request) -> IngestState:
    state: IngestState = request.app.state.ingest
    return state
