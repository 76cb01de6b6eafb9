"""githubkit, set up for the fleet: no retries or HTTP cache of its own, every request through the
shared budget, GitHub's rate-limit answers turned into fleet-wide pauses.

githubkit sends `Accept: application/vnd.github+json` and `X-GitHub-Api-Version` (PyGithub 2.10 sends
neither). Its `auto_retry` (sleeping through rate limits and 5xx in the calling thread) is off, and
its HTTP cache too: the fleet's Redis limiter decides when to ask again. An httpx request hook takes
the token before each request (pages included); a response hook reads `x-ratelimit-remaining` /
`x-ratelimit-reset` and a secondary limit's `retry-after`, and holds every process until then.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from alertfleet.request_gate import RequestGate, Throttled
from alertfleet.writing import retry_after_seconds

if TYPE_CHECKING:
    from githubkit import GitHub
    from githubkit.auth.base import BaseAuthStrategy

TIMEOUT = 15.0
PAGE = 100
SECONDARY_DEFAULT = 60.0  # GitHub: without retry-after or a reset, wait at least a minute


@dataclass(frozen=True)
class GitHubFailure(Exception):
    """A failed GitHub request: its status (0: no answer), GitHub's message, and how long to wait."""

    status: int
    message: str
    retry_after: float | None = None
    rate_limited: bool = False

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.message}" if self.status else self.message


def iso_time(moment: datetime) -> Any:
    """`since` as GitHub documents it (YYYY-MM-DDTHH:MM:SSZ); githubkit would send str(datetime)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def hold_for(status: int, headers: httpx.Headers) -> float:
    """Seconds GitHub asked every client of this token to wait; 0 when it did not."""
    if status in (403, 429) and "retry-after" in headers:
        return retry_after_seconds(headers.get("retry-after")) or 0.0
    if headers.get("x-ratelimit-remaining") == "0":
        try:
            return max(0.0, float(headers.get("x-ratelimit-reset", "")) - time.time())
        except ValueError:
            return SECONDARY_DEFAULT
    return 0.0


class _Bearer(httpx.Auth):
    """`Authorization: Bearer <token>`, as GitHub's REST docs write it (githubkit's own sends `token <token>`)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Any:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def _bearer_strategy(token: str) -> BaseAuthStrategy:
    from githubkit.auth.base import BaseAuthStrategy

    class BearerToken(BaseAuthStrategy):
        def get_auth_flow(self, github: Any) -> httpx.Auth:
            return _Bearer(token)

    return BearerToken()


class GitHubApi:
    """The calls alertfleet makes; built without a request (ingest builds pollers at start-up)."""

    def __init__(self, token: str, api_url: str, gate: RequestGate) -> None:
        self.gate = gate
        self.api_url = api_url
        self._token = token
        self._github: GitHub[BaseAuthStrategy] | None = None

    @property
    def github(self) -> GitHub[BaseAuthStrategy]:
        if self._github is None:
            from githubkit import GitHub

            self._github = GitHub(
                _bearer_strategy(self._token),
                base_url=self.api_url + "/",
                timeout=TIMEOUT,
                auto_retry=False,
                http_cache=False,
                user_agent="alertfleet",
                event_hooks={"request": [self._before], "response": [self._after]},
            )
        return self._github

    def _before(self, request: httpx.Request) -> None:
        self.gate.before()

    def _after(self, response: httpx.Response) -> None:
        self.gate.hold(hold_for(response.status_code, response.headers))

    def _call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one githubkit call; its errors become GitHubFailure (or Throttled, from the gate).

        A secondary limit GitHub announces only in its message (no retry-after, requests left) still
        holds every process for a minute, as GitHub asks."""
        from githubkit.exception import RateLimitExceeded, RequestError, RequestFailed, RequestTimeout

        try:
            return function(*args, **kwargs)
        except RateLimitExceeded as err:
            wait = max(err.retry_after.total_seconds(), 0.0)
            self.gate.hold(wait)
            raise GitHubFailure(err.response.status_code, _message(err.response.raw_response), wait, True) from None
        except RequestFailed as err:
            status, message = err.response.status_code, _message(err.response.raw_response)
            if status in (403, 429) and "secondary rate limit" in message.lower():
                self.gate.hold(SECONDARY_DEFAULT)
                raise GitHubFailure(status, message, SECONDARY_DEFAULT, True) from None
            raise GitHubFailure(status, message) from None
        except RequestTimeout:
            raise GitHubFailure(0, "no answer from GitHub (timeout)") from None
        except RequestError as err:
            if isinstance(err.exc, Throttled):
                raise err.exc from None
            raise GitHubFailure(0, f"no answer from GitHub ({type(err.exc).__name__})") from None

    def open_issues(
        self, repository: str, labels: list[str], since: datetime | None, page: int
    ) -> list[dict[str, Any]]:
        """One page of open issues (pull requests removed) updated since `since`, least recent first."""
        owner, repo = repository.split("/", 1)
        extra: dict[str, Any] = {"since": iso_time(since)} if since is not None else {}
        if labels:
            extra["labels"] = ",".join(labels)
        response = self._call(
            self.github.rest.issues.list_for_repo,
            owner,
            repo,
            state="open",
            sort="updated",
            direction="asc",
            per_page=PAGE,
            page=page,
            **extra,
        )
        return list(response.json())

    def all_open_issues(self, repository: str, labels: list[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for page in range(1, 1000):
            items = self.open_issues(repository, labels, None, page)
            found += [item for item in items if "pull_request" not in item]
            if len(items) < PAGE:
                break
        return found

    def create_comment(self, repository: str, number: int, body: str) -> dict[str, Any]:
        owner, repo = repository.split("/", 1)
        return dict(self._call(self.github.rest.issues.create_comment, owner, repo, number, body=body).json())

    def update_comment(self, repository: str, comment_id: int, body: str) -> dict[str, Any]:
        owner, repo = repository.split("/", 1)
        return dict(self._call(self.github.rest.issues.update_comment, owner, repo, comment_id, body=body).json())

    def comments_since(self, repository: str, number: int, since: datetime) -> list[dict[str, Any]]:
        owner, repo = repository.split("/", 1)
        found: list[dict[str, Any]] = []
        for page in range(1, 1000):
            items = self._call(
                self.github.rest.issues.list_comments,
                owner,
                repo,
                number,
                since=iso_time(since),
                per_page=PAGE,
                page=page,
            ).json()
            found += items
            if len(items) < PAGE:
                break
        return found


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or "no message"
    return str(body.get("message") or body)[:300] if isinstance(body, dict) else str(body)[:300]
