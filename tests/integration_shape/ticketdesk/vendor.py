"""TicketDesk's poller and writer: plain httpx calls, every request charged to the throttle given."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx

from alertfleet.integration import Cursor, EventSink
from alertfleet.keys import content_hash
from alertfleet.models import Event, Investigation, WriteRecord
from alertfleet.writing import RateLimited, Throttle, WriteError, WriteResult

SOURCE = "ticketdesk"


class TicketPoller:
    """One ticket per page: a poll is as many requests as there are new tickets, plus one."""

    name = SOURCE

    def __init__(self, url: str, interval: float, throttle: Throttle) -> None:
        self.url = url.rstrip("/")
        self.interval = interval
        self.throttle = throttle

    async def poll_once(self, sink: EventSink, cursor: Cursor) -> int:
        after = int(await cursor.get() or 0)
        stored = 0
        async with httpx.AsyncClient(timeout=5) as client:
            while True:
                if self.throttle() > 0:
                    return stored  # the shared budget is spent: the cursor keeps the place
                page = (await client.get(f"{self.url}/tickets", params={"after": after, "limit": 1})).json()
                for ticket in page["tickets"]:
                    result = await sink.store_event(SOURCE, event_from_ticket(ticket), _dedup(ticket["id"]))
                    stored += result.action != "duplicate"
                    after = int(ticket["seq"])
                    await cursor.set(str(after))
                if not page["more"]:
                    return stored


def _dedup(ticket_id: str) -> str:
    return hashlib.sha256(f"{SOURCE}:{ticket_id}".encode()).hexdigest()


def event_from_ticket(ticket: dict[str, Any]) -> Event:
    return Event(
        source=SOURCE,
        title=str(ticket["title"]),
        group_key=f"{SOURCE}:{ticket['id']}",
        labels={"alertname": str(ticket["title"]), "ticket": str(ticket["id"])},
    )


class CommentWriter:
    destination = SOURCE

    def __init__(self, url: str) -> None:
        self.client = httpx.Client(base_url=url.rstrip("/"), timeout=5)

    def write(self, investigation: Investigation, target: str, previous: WriteRecord | None) -> WriteResult:
        from tests.integration_shape.ticketdesk import integration

        text = str(integration.render(investigation))
        digest = content_hash(text)
        if previous is not None and previous.content_hash == digest:
            return WriteResult(previous.external_id, digest, "unchanged")
        body = json.dumps({"investigation_id": investigation.id, "text": text})
        try:
            response = self.client.post(f"/queues/{target}/comments", content=body)
        except httpx.HTTPError as exc:
            raise WriteError(f"ticketdesk unreachable: {type(exc).__name__}", recoverable=True) from None
        if response.status_code == 429:
            raise RateLimited("ticketdesk 429", float(response.headers.get("Retry-After", "1")))
        if response.status_code >= 300:
            raise WriteError(f"ticketdesk answered {response.status_code}", recoverable=response.status_code >= 500)
        return WriteResult(str(response.json()["id"]), digest, "created" if previous is None else "updated")
