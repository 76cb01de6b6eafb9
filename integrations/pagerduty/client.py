"""The one place that builds PagerDuty's REST client: base URL, key, `From`, timeout, no hidden retries.

`pagerduty.RestApiV2Client` refuses base URLs that are not https, retries a 429 forever without
reading Retry-After, and sleeps between network retries. The fleet's retry policy must decide when to
try again, so this client accepts http:// (local relays, test stubs), turns a 429 into an error that
carries Retry-After, and never sleeps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx2
from pagerduty import Error as ClientError
from pagerduty import HttpError, RestApiV2Client, UrlError

from alertfleet.writing import Throttle, retry_after_seconds

DEFAULT_TIMEOUT = 15.0
PAGE_SIZE = 100  # PagerDuty's maximum `limit`
MAX_OFFSET = 10_000  # PagerDuty refuses classic pagination beyond this offset
OPEN_STATUSES = ("triggered", "acknowledged")


class PagerDutyError(Exception):
    """A failed call: HTTP status (None when PagerDuty was not reached), its message, Retry-After."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


class _TooManyRequests(Exception):
    """Raised from a response hook, so the library's endless 429 loop never runs."""

    def __init__(self, response: httpx2.Response) -> None:
        super().__init__("429")
        self.response = response


def _refuse_429(response: httpx2.Response) -> None:
    if response.status_code == 429:
        response.read()  # hooks see the response before its body is read; the error message is in it
        raise _TooManyRequests(response)


class FleetRestClient(RestApiV2Client):
    """RestApiV2Client that accepts http:// base URLs and fails fast on network errors."""

    max_network_attempts = 0  # a transport error raises at once; the write task retries with backoff

    @property
    def url(self) -> str:
        return str(self._url)

    @url.setter
    def url(self, new_base_url: str) -> None:
        if not new_base_url.startswith(("http://", "https://")):
            raise UrlError("API base URL must use scheme http:// or https://")
        self._url = new_base_url.rstrip("/")


def error_message(response: httpx2.Response) -> str:
    """PagerDuty's own words: `{"error": {"message", "code", "errors"}}`, else the status line."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    if not isinstance(error, dict) or not error.get("message"):
        return f"HTTP {response.status_code} {response.reason_phrase}".strip()
    details = [str(item) for item in error.get("errors") or []]
    code = f" (code {error['code']})" if error.get("code") is not None else ""
    text = str(error["message"]) + code + (": " + "; ".join(details) if details else "")
    return text[:500]


def pd_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class PagerDutyApi:
    """The few REST calls alertfleet makes, each answering JSON or raising PagerDutyError."""

    def __init__(
        self,
        api_key: str,
        base_url: str,
        user_email: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        page_size: int = PAGE_SIZE,
        throttle: Throttle | None = None,
    ) -> None:
        """`throttle`, when given, is charged for every request (the poller's share of the fleet's
        PagerDuty budget); None: the caller accounts for requests itself (the writer does, per write)."""
        self.throttle = throttle
        self.client = FleetRestClient(
            api_key, default_from=user_email, base_url=base_url, event_hooks={"response": [_refuse_429]}
        )
        self.client.timeout = max(1, round(timeout))  # the library types it as whole seconds
        self.page_size = page_size

    def close(self) -> None:
        self.client.close()

    def list_incidents(
        self,
        *,
        since: datetime | None,
        until: datetime | None,
        statuses: tuple[str, ...] = OPEN_STATUSES,
        service_ids: list[str] | None = None,
        urgencies: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Every incident matching the filters (created within since..until), all pages, oldest first."""
        params: dict[str, Any] = {"statuses[]": list(statuses), "sort_by": "created_at:asc"}
        if since is None or until is None:
            params["date_range"] = "all"
        else:
            params.update(since=pd_time(since), until=pd_time(until))
        if service_ids:
            params["service_ids[]"] = list(service_ids)
        if urgencies:
            params["urgencies[]"] = list(urgencies)
        incidents: list[dict[str, Any]] = []
        offset = 0
        while offset < MAX_OFFSET:
            page = self._call("GET", "/incidents", params={**params, "limit": self.page_size, "offset": offset})
            items = [item for item in page.get("incidents") or [] if isinstance(item, dict)]
            incidents.extend(items)
            if not page.get("more") or not items:
                break
            offset += len(items)
        return incidents

    def get_incident(self, incident_id: str) -> dict[str, Any]:
        incident: dict[str, Any] = self._call("GET", f"/incidents/{incident_id}")["incident"]
        return incident

    def first_alert_key(self, incident_id: str) -> str | None:
        """The dedup key of the incident's first alert (incidents with grouped alerts have no incident_key)."""
        page = self._call("GET", f"/incidents/{incident_id}/alerts", params={"limit": 1, "offset": 0})
        alerts = page.get("alerts") or []
        key = alerts[0].get("alert_key") if alerts and isinstance(alerts[0], dict) else None
        return str(key) if key else None

    def list_notes(self, incident_id: str) -> list[dict[str, Any]]:
        notes: list[dict[str, Any]] = self._call("GET", f"/incidents/{incident_id}/notes").get("notes") or []
        return notes

    def create_note(self, incident_id: str, content: str) -> dict[str, Any]:
        note: dict[str, Any] = self._call(
            "POST", f"/incidents/{incident_id}/notes", json={"note": {"content": content}}
        )["note"]
        return note

    def update_incident(self, incident_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        body = {"incident": {"type": "incident_reference", **fields}}
        incident: dict[str, Any] = self._call("PUT", f"/incidents/{incident_id}", json=body).get("incident") or {}
        return incident

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        endpoint = f"{method} {path}"
        wait = self.throttle() if self.throttle is not None else 0.0
        if wait > 0:
            raise PagerDutyError(f"{endpoint}: pagerduty request budget spent; next slot in {wait:.1f}s", 429, wait)
        try:
            response = self.client.request(method, path, **kwargs)
        except _TooManyRequests as limited:
            raise PagerDutyError(
                f"{endpoint}: rate limited: {error_message(limited.response)}",
                429,
                retry_after_seconds(limited.response.headers.get("retry-after")),
            ) from None
        except HttpError as exc:  # the library raises on 401 itself
            if not isinstance(exc.response, httpx2.Response):
                raise PagerDutyError(f"{endpoint}: {exc}") from None
            response = exc.response
        except (ClientError, httpx2.HTTPError) as exc:
            cause = exc.__cause__ or exc
            raise PagerDutyError(f"{endpoint}: PagerDuty unreachable: {type(cause).__name__}") from None
        if not response.is_success:
            raise PagerDutyError(
                f"{endpoint}: {error_message(response)}",
                response.status_code,
                retry_after_seconds(response.headers.get("retry-after")),
            )
        try:
            body = response.json()
        except ValueError:
            raise PagerDutyError(f"{endpoint}: answer is not JSON", response.status_code) from None
        if not isinstance(body, dict):
            raise PagerDutyError(f"{endpoint}: answer is not a JSON object", response.status_code)
        return body
