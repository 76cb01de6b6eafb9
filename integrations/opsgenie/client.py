"""The one place the opsgenie-sdk is configured: host, GenieKey auth, timeouts, no SDK retries, a throttle.

The SDK would retry 429/5xx by itself for up to a minute, blocking the worker thread; here it tries
once and every failure becomes a typed error, so the fleet's retry policy and limiter decide.
Every request takes a slot of the throttle it is given: the fleet's shared Redis limiter in ingest's
poller and the workers' writers (one OpsGenie budget for both), a per-process one in one-shot CLI runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import opsgenie_sdk
import tenacity
import urllib3

from alertfleet.writing import RateLimited, Throttle, WriteError, retry_after_seconds

DEFAULT_API_URL = "https://api.opsgenie.com"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
PAGE_LIMIT = 100  # OpsGenie's maximum page size for listAlerts
USER = "alertfleet"
SOURCE = "alertfleet"


class OpsGenieApiError(WriteError):
    """An OpsGenie call that failed; `status` is the HTTP status (0 when nothing came back)."""

    def __init__(self, reason: str, *, status: int, recoverable: bool) -> None:
        super().__init__(reason, recoverable=recoverable)
        self.status = status


@dataclass(frozen=True)
class RequestStatus:
    """The outcome of an asynchronous write (`GET /v2/alerts/requests/{id}`)."""

    request_id: str
    is_success: bool
    status: str
    action: str
    alert_id: str


def sdk_configuration(api_key: str, api_url: str) -> Any:
    """An SDK Configuration with our host, key and retry policy (the SDK's own retries off)."""
    conf = opsgenie_sdk.Configuration()
    conf.host = api_url.rstrip("/")
    # Configuration() is a shallow copy of a process-wide default: assign fresh dicts, never mutate.
    conf.api_key = {"Authorization": api_key}
    conf.api_key_prefix = {"Authorization": "GenieKey"}
    conf.retry_enabled = False
    conf.retry_http_response = []  # statuses come back as one exception each, never retried inside
    conf.short_polling_max_retries = 0
    return conf


class OpsGenieClient:
    """AlertApi calls used by the poller, the writer and the CLI; each call takes a budget slot."""

    def __init__(
        self,
        api_key: str,
        api_url: str = DEFAULT_API_URL,
        *,
        throttle: Throttle | None = None,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
    ) -> None:
        """`throttle=None`: the caller accounts for requests itself (the writer does, per write)."""
        self.api_client = opsgenie_sdk.ApiClient(sdk_configuration(api_key, api_url))
        self.api = opsgenie_sdk.AlertApi(api_client=self.api_client)
        self.throttle = throttle
        self.timeout = timeout

    # reads -------------------------------------------------------------------------------------

    def list_alerts(self, query: str, offset: int = 0, limit: int = PAGE_LIMIT) -> list[dict[str, Any]]:
        """One page of alerts, oldest first, as OpsGenie's JSON (camelCase keys)."""
        response = self._call(
            self.api.list_alerts, query=query, offset=offset, limit=limit, sort="createdAt", order="asc"
        )
        return [self._plain(alert) for alert in (response.data or [])]

    def get_alert(self, alert_id: str) -> dict[str, Any]:
        """The full alert (description, details) by id."""
        response = self._call(self.api.get_alert, alert_id, identifier_type="id")
        return self._plain(response.data)

    def list_notes(self, alert_id: str, limit: int = PAGE_LIMIT) -> list[dict[str, Any]]:
        """The alert's newest notes first (`note`, `owner`, `createdAt`)."""
        response = self._call(self.api.list_notes, alert_id, identifier_type="id", order="desc", limit=limit)
        return [self._plain(note) for note in (response.data or [])]

    def request_status(self, request_id: str) -> RequestStatus | None:
        """The outcome of a write, or None while OpsGenie has not processed it (it answers 404 then)."""
        try:
            response = self._call(self.api.get_request_status, request_id)
        except OpsGenieApiError as err:
            if err.status == 404:
                return None
            raise
        data = response.data
        return RequestStatus(
            request_id=request_id,
            is_success=bool(getattr(data, "is_success", False)),
            status=str(getattr(data, "status", "") or ""),
            action=str(getattr(data, "action", "") or ""),
            alert_id=str(getattr(data, "alert_id", "") or ""),
        )

    # writes (each answers 202 and a request id to confirm) ---------------------------------------

    def add_note(self, alert_id: str, note: str) -> str:
        payload = opsgenie_sdk.AddNoteToAlertPayload(user=USER, source=SOURCE, note=note)
        return self._request_id(self._call(self.api.add_note, alert_id, payload, identifier_type="id"))

    def add_tags(self, alert_id: str, tags: list[str]) -> str:
        payload = opsgenie_sdk.AddTagsToAlertPayload(user=USER, source=SOURCE, tags=tags)
        return self._request_id(self._call(self.api.add_tags, alert_id, payload, identifier_type="id"))

    def update_priority(self, alert_id: str, priority: str) -> str:
        payload = opsgenie_sdk.UpdateAlertPriorityPayload(priority=priority)
        return self._request_id(self._call(self.api.update_alert_priority, alert_id, payload, identifier_type="id"))

    # plumbing ----------------------------------------------------------------------------------

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        wait = self.throttle() if self.throttle is not None else 0.0
        if wait > 0:
            raise RateLimited(f"opsgenie request budget spent; next slot in {wait:.1f}s", wait)
        try:
            return method(*args, _request_timeout=self.timeout, **kwargs)
        except tenacity.RetryError as exc:  # what the SDK's wrapper raises once it stops retrying
            raise classify(exc.last_attempt.exception()) from None
        except Exception as exc:
            raise classify(exc) from None

    def _plain(self, model: Any) -> dict[str, Any]:
        plain = self.api_client.sanitize_for_serialization(model)
        return plain if isinstance(plain, dict) else {}

    @staticmethod
    def _request_id(response: Any) -> str:
        request_id = str(getattr(response, "request_id", "") or "")
        if not request_id:
            raise OpsGenieApiError("opsgenie accepted the write without a requestId", status=202, recoverable=True)
        return request_id


def classify(exc: BaseException | None) -> WriteError:
    """An SDK or transport exception -> typed: 429 rate-limited, 5xx/timeouts recoverable, 4xx not."""
    status = getattr(exc, "status", None)
    if isinstance(status, int) and status > 0:
        message = _message(getattr(exc, "body", None)) or str(getattr(exc, "reason", "") or "error")
        reason = f"opsgenie {status}: {message}"
        if status == 429:
            return RateLimited(reason, _retry_after(getattr(exc, "headers", None)))
        recoverable = status >= 500 or status == 408
        return OpsGenieApiError(reason, status=status, recoverable=recoverable)
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError | TimeoutError):
        return OpsGenieApiError(f"opsgenie unreachable: {type(exc).__name__}", status=0, recoverable=True)
    # Bodies that are not OpsGenie JSON (a proxy's HTML page) or an SSL failure (status 0).
    return OpsGenieApiError(f"opsgenie call failed: {type(exc).__name__}", status=0, recoverable=True)


def _message(body: Any) -> str:
    if not body:
        return ""
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return ""
    return str(data.get("message") or "") if isinstance(data, dict) else ""


def _retry_after(headers: Any) -> float | None:
    """Retry-After when sent, else OpsGenie's throttle period (`X-RateLimit-Period-In-Sec`)."""
    if not headers:
        return None
    for name in ("Retry-After", "X-RateLimit-Period-In-Sec"):
        seconds = retry_after_seconds(headers.get(name))
        if seconds is not None:
            return seconds
    return None


def fetch_open_alerts(client: OpsGenieClient, query: str, max_pages: int = 10) -> list[dict[str, Any]]:
    """Every alert the query matches (up to max_pages pages), with its full details, for one-shot runs."""
    alerts: list[dict[str, Any]] = []
    for page_number in range(max_pages):
        page = client.list_alerts(query, offset=page_number * PAGE_LIMIT)
        alerts.extend(page)
        if len(page) < PAGE_LIMIT:
            break
    return [{**alert, **client.get_alert(str(alert["id"]))} for alert in alerts if alert.get("id")]
