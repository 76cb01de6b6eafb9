"""Posts an investigation to a Slack channel, or updates the message it posted before."""

from __future__ import annotations

import re
import urllib.error
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from alertfleet.keys import content_hash
from alertfleet.models import Investigation, WriteRecord
from alertfleet.writing import RateLimited, WriteError, WriteResult, retry_after_seconds, truncate
from integrations.slack.render import TEXT_LIMIT, render_blocks, render_text

METADATA_EVENT = "alertfleet_investigation"
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")

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

    def __init__(self, token: str, api_url: str, timeout: float = 15.0, buttons: bool = False) -> None:
        self.buttons = buttons  # the Slack app is set up: messages carry Re-investigate / Helpful / Not helpful
        # No retry handlers: the fleet's task policy and shared limiter decide when to try again.
        self.client = WebClient(token=token, base_url=api_url, timeout=int(timeout), retry_handlers=[])

    def write(self, investigation: Investigation, target: str, previous: WriteRecord | None) -> WriteResult:
        text = render_text(investigation)
        blocks = render_blocks(investigation, self.buttons)
        digest = content_hash({"text": text, "blocks": blocks})
        if previous is not None and previous.content_hash == digest:
            return WriteResult(previous.external_id, digest, "unchanged", previous.details)
        if previous is not None:
            try:
                return self._update(previous, text, blocks, digest)
            except WriteError as err:
                if err.reason != "message_not_found":
                    raise
        return self._post(investigation.id, target, text, blocks, digest)

    def reply(self, channel: str, thread_ts: str, text: str) -> str:
        """Post `text` in the thread under `thread_ts` (a follow-up answer); Slack's ts of the reply."""
        response = self._call(
            "chat_postMessage",
            channel=channel,
            thread_ts=thread_ts,
            text=truncate(text, TEXT_LIMIT),
            unfurl_links=False,
            link_names=False,
            parse="none",
        )
        return str(response["ts"])

    def find_previous(self, investigation: Investigation, target: str, since: float) -> WriteResult | None:
        """Look for our message (by its metadata) posted since `since`; needs channels:history."""
        try:
            channel = target if _CHANNEL_ID.match(target) else self._channel_id(target)
            if channel is None:
                return None
            response = self._call(
                "conversations_history",
                channel=channel,
                oldest=f"{since - 5:.6f}",
                include_all_metadata=True,
                limit=200,
            )
        except WriteError:
            return None  # no scope or no channel: fall back to posting (the documented window)
        for message in response.get("messages", []):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if (
                message.get("metadata", {}).get("event_type") == METADATA_EVENT
                and payload.get("investigation_id") == investigation.id
            ):
                return WriteResult(str(message["ts"]), "", "found", {"channel": channel})
        return None

    def _channel_id(self, name: str) -> str | None:
        wanted = name.removeprefix("#")
        cursor = None
        for _ in range(20):  # bounded: a workspace with more channels than this keeps the window
            response = self._call(
                "conversations_list",
                types="public_channel,private_channel",
                limit=1000,
                cursor=cursor,
                exclude_archived=True,
            )
            for channel in response.get("channels", []):
                if channel.get("name") == wanted:
                    return str(channel["id"])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

    def _post(
        self, investigation_id: str, channel: str, text: str, blocks: list[dict[str, Any]], digest: str
    ) -> WriteResult:
        # The metadata lets `find_previous` recognise this message if our answer gets lost.
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"investigation_id": investigation_id}}
        # link_names=False and parse="none": Slack must not turn names in the text into mentions.
        response = self._call(
            "chat_postMessage",
            channel=channel,
            text=text,
            blocks=blocks,
            unfurl_links=False,
            metadata=metadata,
            link_names=False,
            parse="none",
        )
        return WriteResult(str(response["ts"]), digest, "created", {"channel": str(response.get("channel") or channel)})

    def _update(self, previous: WriteRecord, text: str, blocks: list[dict[str, Any]], digest: str) -> WriteResult:
        channel = str(previous.details.get("channel") or previous.target)
        self._call(
            "chat_update",
            channel=channel,
            ts=previous.external_id,
            text=text,
            blocks=blocks,
            link_names=False,
            parse="none",
        )
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
        headers = response.headers if response is not None else {}
        retry_after = retry_after_seconds(headers.get("Retry-After") or headers.get("retry-after"))
        return RateLimited("ratelimited", retry_after)
    if error in UNRECOVERABLE:
        return WriteError(error, recoverable=False)
    if error == "message_not_found":
        return WriteError(error, recoverable=False)
    return WriteError(error, recoverable=status >= 500 or status == 0 or error.endswith("_error"))
