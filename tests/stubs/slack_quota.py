"""A Slack stub that enforces a request quota the way a vendor does: over it, 429 and a violation."""

from __future__ import annotations

import threading
import time
from collections import deque

from tests.stubs.http import RecordedRequest, StubResponse
from tests.stubs.slack import SlackStub


class QuotaSlackStub(SlackStub):
    """Allows `limit` chat calls in any `per_seconds` window (minus `tolerance` for clock jitter)."""

    def __init__(self, limit: int, per_seconds: float, tolerance: float = 0.05, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.limit = limit
        self.per_seconds = per_seconds
        self.tolerance = tolerance
        self.over_quota = 0
        self._served: deque[float] = deque()
        self._quota_lock = threading.Lock()

    def handle(self, req: RecordedRequest) -> StubResponse:
        if req.path.startswith("/api/chat."):
            with self._quota_lock:
                now = time.monotonic()
                window = self.per_seconds - self.tolerance
                while self._served and now - self._served[0] >= window:
                    self._served.popleft()
                if len(self._served) >= self.limit:
                    self.over_quota += 1
                    self.record_violation(f"over quota: {len(self._served)} calls in {window:.2f}s")
                    return StubResponse(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
                self._served.append(now)
        return super().handle(req)

    def served_times(self) -> list[float]:
        return [r.received_at for r in self.requests if r.path.startswith("/api/chat.")]
