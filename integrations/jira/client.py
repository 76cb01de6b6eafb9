"""The `jira` client (pycontribs), set up for the fleet: REST v3, no retries of its own, every request
through the shared budget.

The library retries 429/503 itself (`max_retries`) and, left alone, asks PyPI for a newer version;
both are off here so the fleet's policy decides: each request first takes a token of the shared
Jira limit, and a 429's Retry-After pauses Jira for every process (`pause`) and locally until then.
Its errors carry the request headers (basic auth included) in `str()`: only status and Jira's own
message leave this module.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from requests.adapters import HTTPAdapter

from alertfleet.request_gate import RequestGate
from alertfleet.writing import retry_after_seconds

if TYPE_CHECKING:
    import requests
    from jira import JIRA

TIMEOUT = 15.0  # seconds per request


@dataclass(frozen=True)
class JiraFailure(Exception):
    """A Jira request that failed: its status (0: no answer), Jira's message, and any Retry-After."""

    status: int
    message: str
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.message}" if self.status else self.message


def hold_for(status: int, headers: Any) -> float:
    """Seconds Jira asked every client to wait (429, or 503 with Retry-After); 0 when it did not."""
    if status not in (429, 503):
        return 0.0
    return retry_after_seconds(headers.get("Retry-After")) or 0.0


class _GatedAdapter(HTTPAdapter):
    """requests' transport with the gate around every send (the library's own calls included)."""

    def __init__(self, gate: RequestGate) -> None:
        super().__init__(max_retries=0)
        self.gate = gate

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self.gate.before()
        response = super().send(request, *args, **kwargs)
        self.gate.hold(hold_for(response.status_code, response.headers))
        return response


def connect(url: str, username: str, token: str, gate: RequestGate) -> JIRA:
    """A JIRA client for Cloud REST v3 at `url` (asks serverInfo once: the library needs to know it is Cloud)."""
    from jira import JIRA

    options = {"rest_api_version": "3", "check_update": False, "server": url}
    client = JIRA(
        options=options,
        basic_auth=(username, token),
        max_retries=0,
        timeout=TIMEOUT,
        get_server_info=False,
    )
    adapter = _GatedAdapter(gate)
    session: Any = client._session  # the library has no hook for its transport; mounting is requests' own API
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    info = call(client.server_info)
    client.deploymentType = info.get("deploymentType")
    return client


def call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run one library call; its errors become JiraFailure (no headers, no credentials)."""
    import requests
    from jira.exceptions import JIRAError

    try:
        return function(*args, **kwargs)
    except JIRAError as err:
        response = err.response
        retry = retry_after_seconds(response.headers.get("Retry-After")) if response is not None else None
        raise JiraFailure(int(err.status_code or 0), _message(err), retry) from None
    except requests.RequestException as err:
        raise JiraFailure(0, f"no answer from Jira ({type(err).__name__})") from None


def _message(err: Any) -> str:
    """Jira's errorMessages/errors, not the library's dump of the whole exchange."""
    response = err.response
    try:
        body = response.json() if response is not None else {}
    except ValueError:
        body = {}
    parts = [*body.get("errorMessages", []), *(f"{k}: {v}" for k, v in (body.get("errors") or {}).items())]
    return "; ".join(str(part) for part in parts)[:300] or (err.text or "")[:300] or "no message"


class JiraApi:
    """The calls alertfleet makes, each through the gate; connects on first use (ingest builds its
    pollers at start-up, when Jira may be unreachable)."""

    PAGE = 50

    def __init__(self, url: str, username: str, token: str, gate: RequestGate) -> None:
        self.url = url
        self._credentials = (username, token)
        self.gate = gate
        self._client: JIRA | None = None
        self._connect_lock = threading.Lock()

    @property
    def client(self) -> JIRA:
        with self._connect_lock:
            if self._client is None:
                self._client = connect(self.url, *self._credentials, self.gate)
            return self._client

    def time_zone(self) -> str | None:
        """The account's time zone: JQL reads dates in it."""
        me = call(self.client.myself)
        return str(me.get("timeZone") or "") or None

    def search_page(self, jql: str, fields: list[str], token: str | None) -> dict[str, Any]:
        """One page of `GET /rest/api/3/search/jql` (issues, nextPageToken, isLast)."""
        page: dict[str, Any] = call(
            self.client.enhanced_search_issues,
            jql,
            nextPageToken=token,
            maxResults=self.PAGE,
            fields=list(fields),
            json_result=True,
        )
        return page

    def search(self, jql: str, fields: list[str]) -> list[dict[str, Any]]:
        """Every issue the query finds, page after page."""
        issues: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = self.search_page(jql, fields, token)
            issues += page.get("issues", [])
            token = page.get("nextPageToken")
            if not token or page.get("isLast", True):
                return issues

    def add_comment(self, key: str, body: dict[str, Any]) -> str:
        comment = call(self.client.add_comment, key, body)  # an ADF dict: the library sends it as JSON
        return str(comment.id)

    def update_comment(self, key: str, comment_id: str, body: dict[str, Any]) -> None:
        comment = call(self.client.comment, key, comment_id)
        call(comment.update, body=body)

    def comments(self, key: str) -> list[dict[str, Any]]:
        """The issue's comments, newest first, paged by startAt."""
        found: list[dict[str, Any]] = []
        while True:
            page = call(self.client.comments, key, start_at=len(found), max_results=self.PAGE, order_by="-created")
            found += [comment.raw for comment in page]
            if len(page) < self.PAGE:
                return found
