"""TicketDesk's API as a real HTTP server: a paged ticket list and queue comments, with a quota
(any `limit` requests in `per_seconds`) over which it answers 429 and records a violation."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from typing import Any

from tests.stubs.http import RecordedRequest, StubResponse, StubServer


class TicketDeskStub(StubServer):
    def __init__(self, limit: int | None = None, per_seconds: float = 1.0, tolerance: float = 0.3) -> None:
        super().__init__()
        self.limit = limit
        self.window = per_seconds - tolerance  # latency between limiter and stub only spreads requests out
        self.tickets: list[dict[str, Any]] = []
        self.comments: list[dict[str, Any]] = []
        self._served: deque[float] = deque()
        self._quota_lock = threading.Lock()

    def add_ticket(self, ticket_id: str, title: str) -> None:
        with self._lock:
            self.tickets.append({"id": ticket_id, "title": title, "seq": len(self.tickets) + 1})

    def handle(self, req: RecordedRequest) -> StubResponse:
        if self._over_quota():
            return StubResponse(429, {"error": "rate limited"}, {"Retry-After": "1"})
        if req.method == "GET" and req.path == "/tickets":
            after, limit = int(req.query.get("after", "0")), int(req.query.get("limit", "1"))
            with self._lock:
                newer = [ticket for ticket in self.tickets if ticket["seq"] > after]
            return StubResponse(200, {"tickets": newer[:limit], "more": len(newer) > limit})
        if req.method == "POST" and req.path.startswith("/queues/") and req.path.endswith("/comments"):
            body = json.loads(req.body)
            with self._lock:
                comment = {"id": len(self.comments) + 1, "queue": req.path.split("/")[2], **body}
                self.comments.append(comment)
            return StubResponse(201, {"id": comment["id"]})
        self.record_violation(f"unknown endpoint {req.method} {req.path}")
        return StubResponse(404, {"error": "not found"})

    def _over_quota(self) -> bool:
        if self.limit is None:
            return False
        with self._quota_lock:
            now = time.monotonic()
            while self._served and now - self._served[0] >= self.window:
                self._served.popleft()
            if len(self._served) >= self.limit:
                self.record_violation(f"over quota: {len(self._served)} requests in {self.window:.2f}s")
                return True
            self._served.append(now)
            return False
