"""Per-app state (clients opened in the lifespan), reached from routes through the request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import redis.asyncio as aioredis
from fastapi import Request

from alertfleet.settings import Settings
from ingest.auth import check_token
from ingest.intake import Intake

if TYPE_CHECKING:
    from ingest.sessions import SessionGateway


@dataclass
class IngestState:
    settings: Settings
    redis: aioredis.Redis
    intake: Intake
    sessions: SessionGateway | None = None  # the HTTP API's sessions (chat, investigate, Kubernaut, Robusta)
    listen_host: str | None = None  # None: unknown, so the API counts as reachable from elsewhere

    @property
    def max_body_bytes(self) -> int:
        return self.settings.max_body_bytes

    def check_token(self, authorization: str | None) -> None:
        token = self.settings.ingest_token
        check_token(token.get_secret_value() if token else None, authorization)


def ingest_state(request: Request) -> IngestState:
    state: IngestState = request.app.state.ingest
    return state
