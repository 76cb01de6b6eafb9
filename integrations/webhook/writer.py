"""POSTs an investigation to a webhook URL: JSON body, configured headers, optional HMAC signature.

The target is the URL; per-URL headers and secrets come from the endpoints the writer was built with
(WEBHOOK_URL from the environment, named webhooks from the routing config).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from alertfleet.keys import content_hash
from alertfleet.models import Investigation, WriteRecord, utcnow
from alertfleet.writing import RateLimited, WriteError, WriteResult, retry_after_seconds
from integrations.webhook.render import delivery_identity, render_payload

SIGNATURE_HEADER = "X-Alertfleet-Signature"
USER_AGENT = "alertfleet-webhook/0.1"


@dataclass(frozen=True)
class WebhookEndpoint:
    """What one webhook URL gets besides the body: extra headers, and a secret to sign with."""

    headers: Mapping[str, str] = field(default_factory=dict)
    secret: str | None = None


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex>` HMAC of the raw body, as receivers recompute it (GitHub's convention)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookWriter:
    destination = "webhook"

    def __init__(
        self,
        endpoints: Mapping[str, WebhookEndpoint] | None = None,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.endpoints = dict(endpoints or {})
        self.clock = clock
        # No redirects: a 3xx means the configured URL is wrong, and a body must not follow it elsewhere.
        self.client = httpx.Client(timeout=timeout, follow_redirects=False, transport=transport)

    def write(self, investigation: Investigation, target: str, previous: WriteRecord | None) -> WriteResult:
        payload = render_payload(investigation, self.clock())
        digest = content_hash(delivery_identity(payload))
        if previous is not None and previous.content_hash == digest:
            return WriteResult(previous.external_id, digest, "unchanged", previous.details)
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        endpoint = self.endpoints.get(target, WebhookEndpoint())
        headers = {"User-Agent": USER_AGENT, **endpoint.headers, "Content-Type": "application/json"}
        if endpoint.secret:
            headers[SIGNATURE_HEADER] = signature(endpoint.secret, body)
        try:
            response = self.client.post(target, content=body, headers=headers)
        except httpx.TimeoutException:
            raise WriteError("webhook timed out", recoverable=True) from None
        except httpx.HTTPError as exc:
            raise WriteError(f"webhook unreachable: {type(exc).__name__}", recoverable=True) from None
        raise_for_status(response)
        details = {"status": str(response.status_code)}
        return WriteResult(digest[:32], digest, "created" if previous is None else "updated", details)


def raise_for_status(response: httpx.Response) -> None:
    """2xx passes; 429 rate-limited; 5xx and 408 retry; other 4xx and 3xx dead-letter."""
    status = response.status_code
    if 200 <= status < 300:
        return
    reason = f"webhook answered {status}"
    snippet = response.text[:200].strip() if response.content else ""
    if snippet:
        reason += f": {snippet}"
    if status == 429:
        raise RateLimited(reason, retry_after_seconds(response.headers.get("Retry-After")))
    if status >= 500 or status == 408:
        raise WriteError(reason, recoverable=True, retry_after=retry_after_seconds(response.headers.get("Retry-After")))
    if 300 <= status < 400:
        location = response.headers.get("Location", "")
        raise WriteError(f"webhook redirected ({status}) to {location!r}; configure the final URL", recoverable=False)
    raise WriteError(reason, recoverable=False)
