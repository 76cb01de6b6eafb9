"""Posts an investigation to a Slack channel, or updates the message it posted before."""

from __future__ import annotations

import urllib.error
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from alertfleet.keys import content_hash
from alertfleet.models import Investigation, WriteRecord
from integrations.base import RateLimited, WriteError, WriteResult
from integrations.slack.render import render_blocks, render_text

# Slack errors that no retry can fix: they need a person (token, scopes, channel).
UNRECOVERABLE = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "no_permission",
    "missing_scope",
    "channel_not_found",
    "is_archived",
    "not_in_channel",
    "restricted_action",
    "msg_too_long",
    "no_text",
    "invalid_blocks",
    "invalid_arguments",
}


class SlackWriter:
    destination = "slack"

    def __init__(self, token: str, api_url: str, timeout: float = 15.0) -> None:
        # No retry handlers: the fleet's task policy and shared limiter decide when to try again.
        self.client = WebClient(token=token, base_url=api_url, timeout=int(timeout), retry_handlers=[])

    def write(self, investigation: Investigation, target: str, previous: WriteRecord | None) -> WriteResult:
        text = render_text(investigation)
        blocks = render_blocks(investigation)
        digest = content_hash({"text": text, "blocks": blocks})
        if previous is not None and previous.content_hash == digest:
            return WriteResult(previous.external_id, digest, "unchanged", previous.details)
        if previous is not None:
            try:
                return self._update(previous, text, blocks, digest)
            except WriteError as err:
                if err.reason != "message_not_found":
                    raise
        return self._post(target, text, blocks, digest)

    def _post(self, channel: str, text: str, blocks: list[dict[str, Any]], digest: str) -> WriteResult:
        response = self._call("chat_postMessage", channel=channel, text=text, blocks=blocks, unfurl_links=False)
        return WriteResult(str(response["ts"]), digest, "created", {"channel": str(response.get("channel") or channel)})

    def _update(self, previous: WriteRecord, text: str, blocks: list[dict[str, Any]], digest: str) -> WriteResult:
        channel = str(previous.details.get("channel") or previous.target)
        self._call("chat_update", channel=channel, ts=previous.external_id, text=text, blocks=blocks)
        return WriteResult(previous.external_id, digest, "updated", {"channel": channel})

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            raise classify(exc) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            raise WriteError(f"slack unreachable: {type(exc).__name__}", recoverable=True) from None


def classify(exc: SlackApiError) -> WriteError:
    """Slack's error -> typed, with Retry-After honoured on 429."""
    response = exc.response
    error = str(response.get("error") or "unknown_error") if response is not None else "unknown_error"
    status = response.status_code if response is not None else 0
    if status == 429 or error == "ratelimited":
        retry_after = _retry_after(response.headers if response is not None else {})
        return RateLimited("ratelimited", retry_after)
    if error in UNRECOVERABLE:
        return WriteError(error, recoverable=False)
    if error == "message_not_found":
        return WriteError(error, recoverable=False)
    return WriteError(error, recoverable=status >= 500 or status == 0 or error.endswith("_error"))


def _retry_after(headers: Any) -> float | None:
    for name in ("Retry-After", "retry-after"):
        value = headers.get(name) if headers else None
        if value is not None:
            try:
                return float(value[0] if isinstance(value, list) else value)
            except (TypeError, ValueError):
                return None
    return None
