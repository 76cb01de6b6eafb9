"""A webhook receiver: records each delivery's body and headers, checks signatures, fails on demand.

Faults come from `StubServer` (`fail_next`, `rate_limit`, `delay_seconds`); `deliveries` are only
the requests it accepted (2xx), in order.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from tests.stubs.http import RecordedRequest, StubResponse, StubServer

PATH = "/hooks/alertfleet"
SIGNATURE_HEADER = "x-alertfleet-signature"


@dataclass(frozen=True)
class Delivery:
    body: bytes
    json: Any
    headers: dict[str, str]


class WebhookStub(StubServer):
    """Accepts `POST /hooks/alertfleet` JSON; with `secret`, refuses (401) a bad or missing signature."""

    def __init__(self, *, secret: str | None = None, required_headers: dict[str, str] | None = None) -> None:
        super().__init__()
        self.secret = secret
        self.required_headers = {k.lower(): v for k, v in (required_headers or {}).items()}
        self._deliveries: list[Delivery] = []

    @property
    def url(self) -> str:
        return f"{self.base_url}{PATH}"

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def reset(self) -> None:
        with self._lock:
            super().reset()
            self._deliveries.clear()

    def handle(self, req: RecordedRequest) -> StubResponse:
        if req.method != "POST" or req.path != PATH:
            self.record_violation(f"{req.method} {req.path}: not the webhook path")
            return StubResponse(404, {"error": "not found"})
        if req.content_type != "application/json" or req.json_error is not None or not isinstance(req.json, dict):
            self.record_violation(f"body is not a JSON object ({req.content_type}, {req.json_error})")
            return StubResponse(400, {"error": "expected a JSON object"})
        for name, value in self.required_headers.items():
            if req.headers.get(name) != value:
                self.record_violation(f"header {name} missing or wrong")
                return StubResponse(401, {"error": f"bad {name}"})
        if self.secret is not None:
            expected = "sha256=" + hmac.new(self.secret.encode(), req.body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(req.headers.get(SIGNATURE_HEADER, ""), expected):
                self.record_violation("signature missing or wrong")
                return StubResponse(401, {"error": "bad signature"})
        with self._lock:
            self._deliveries.append(Delivery(req.body, req.json, dict(req.headers)))
        return StubResponse(200, {"ok": True})
