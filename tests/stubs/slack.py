"""Slack Web API stub: enough of chat.* and auth.test to drive slack_sdk's WebClient for real.

Required arguments come from the vendored spec (tests/contract/specs/slack), so the stub rejects
what Slack rejects; errors are Slack-style (HTTP 200, ok:false) and recorded as violations.
"""

from __future__ import annotations

import copy
import functools
import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypedDict

from tests.stubs.http import RecordedRequest, StubResponse, StubServer
from tests.stubs.slack_socket import SocketModeServer

SPEC_PATH = Path(__file__).resolve().parents[1] / "contract" / "specs" / "slack" / "slack_web_openapi_v2.json"
MAX_TEXT_CHARS = 40_000
MAX_BLOCKS = 50
# Slack's answer when a spec-required argument is missing (the spec itself names none).
_MISSING_ARG_ERRORS = {"channel": "channel_not_found", "ts": "message_not_found"}

Args = dict[str, Any]


class MessageVersion(TypedDict):
    """One revision of a message, kept so tests can check what each update changed."""

    text: str
    blocks: list[dict[str, Any]]
    attachments: list[dict[str, Any]]


class SlackMessage(TypedDict):
    """A message the stub holds; `channel` is the name given to the constructor."""

    channel: str
    channel_id: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    thread_ts: str | None
    update_count: int
    history: list[MessageVersion]
    metadata: dict[str, Any] | None


class SlackError(Exception):
    """A Slack `error` code; raised inside method handlers, answered as ok:false."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def required_params(method: str) -> frozenset[str]:
    """Parameters the vendored spec marks `required: true` for `method` (e.g. "chat.update")."""
    return _required_by_method().get(method, frozenset())


@functools.cache
def _required_by_method() -> dict[str, frozenset[str]]:
    spec = json.loads(SPEC_PATH.read_bytes())
    result: dict[str, frozenset[str]] = {}
    for path, operations in spec["paths"].items():
        names = {
            param["name"]
            for operation in operations.values()
            for param in operation.get("parameters", [])
            if param.get("required") is True
        }
        result[path.lstrip("/")] = frozenset(names)
    return result


def _json_list(value: Any, error: str) -> list[dict[str, Any]] | None:
    """Form bodies carry blocks/attachments as JSON strings, JSON bodies as arrays: accept both."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise SlackError(error, f"not JSON: {exc}") from None
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise SlackError(error, "expected an array of objects")
    return value


def _blocks(args: Args) -> list[dict[str, Any]] | None:
    blocks = _json_list(args.get("blocks"), "invalid_blocks")
    if blocks is None:
        return None
    if len(blocks) > MAX_BLOCKS:
        raise SlackError("invalid_blocks", f"{len(blocks)} blocks, at most {MAX_BLOCKS}")
    for index, block in enumerate(blocks):
        if not isinstance(block.get("type"), str) or not block["type"]:
            raise SlackError("invalid_blocks", f"block {index} has no type")
    return blocks


def _text(args: Args) -> str | None:
    text = args.get("text")
    if text is None:
        return None
    if not isinstance(text, str):
        raise SlackError("invalid_arguments", "text must be a string")
    if len(text) > MAX_TEXT_CHARS:
        raise SlackError("msg_too_long", f"{len(text)} chars, at most {MAX_TEXT_CHARS}")
    return text


class SlackStub(StubServer):
    """Slack Web API under `/api/<method>`; point `WebClient(base_url=stub.api_url)` at it.

    Channels are known by the names given (with or without "#") or by generated ids C0001...
    """

    def __init__(
        self,
        token: str = "xoxb-test-token",
        channels: Iterable[str] = ("#alerts",),
        *,
        delay_seconds: float = 0.0,
        app_token: str | None = None,
    ) -> None:
        super().__init__(delay_seconds=delay_seconds)
        self.token = token
        # Socket Mode: apps.connections.open (with this xapp- token) hands out the websocket's URL.
        self.app_token = app_token
        self.socket: SocketModeServer | None = SocketModeServer().start() if app_token else None
        self._connection_opens = 0
        self._channel_ids: dict[str, str] = {}
        self._names_by_key: dict[str, str] = {}
        for name in sorted(set(channels)):
            self.add_channel(name)
        self._messages: list[SlackMessage] = []
        self._ts_counter = 0
        self._posts = 0
        self._updates = 0
        self._methods: dict[str, Callable[[Args], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "conversations.list": self._conversations_list,
            "apps.connections.open": self._connections_open,
        }
        # Seconds to hold chat.postMessage's answer *after* storing the message: a client killed
        # meanwhile never learns its message exists (the exactly-once window).
        self.post_answer_delay = 0.0

    @property
    def api_url(self) -> str:
        """What slack_sdk's `WebClient(base_url=...)` expects (trailing slash included)."""
        return f"{self.base_url}/api/"

    # channels --------------------------------------------------------------------------------

    def add_channel(self, name: str) -> str:
        """Make `name` known and return its id (C0001, C0002, ... in order of addition)."""
        with self._lock:
            if name not in self._channel_ids:
                self._channel_ids[name] = f"C{len(self._channel_ids) + 1:04d}"
                self._names_by_key[name.removeprefix("#")] = name
            return self._channel_ids[name]

    @property
    def channel_ids(self) -> dict[str, str]:
        """Channel name (as given) → generated id."""
        with self._lock:
            return dict(self._channel_ids)

    def channel_id(self, channel: str) -> str:
        """Id of a known channel given by name (with or without "#") or id."""
        name = self._channel_name(channel)
        if name is None:
            raise KeyError(channel)
        return self._channel_ids[name]

    def _channel_name(self, channel: str) -> str | None:
        with self._lock:
            for name, channel_id in self._channel_ids.items():
                if channel == channel_id:
                    return name
            return self._names_by_key.get(channel.removeprefix("#"))

    # state helpers ---------------------------------------------------------------------------

    @property
    def messages(self) -> list[SlackMessage]:
        """Deep copy of every message posted (thread replies included), oldest first."""
        with self._lock:
            return copy.deepcopy(self._messages)

    def messages_in(self, channel: str) -> list[SlackMessage]:
        """Messages in a channel given by name or id, thread replies included."""
        channel_id = self.channel_id(channel)
        return [m for m in self.messages if m["channel_id"] == channel_id]

    def thread_replies(self, thread_ts: str) -> list[SlackMessage]:
        """Replies posted with `thread_ts` (the parent itself excluded)."""
        return [m for m in self.messages if m["thread_ts"] == thread_ts and m["ts"] != thread_ts]

    def post_count(self) -> int:
        """Successful chat.postMessage calls."""
        with self._lock:
            return self._posts

    def update_count(self) -> int:
        """Successful chat.update calls."""
        with self._lock:
            return self._updates

    def reset(self) -> None:
        """Forget recordings and messages; channels stay."""
        with self._lock:
            super().reset()
            self._messages.clear()
            self._posts = self._updates = 0

    def fault_body(self, status: int) -> Any:
        """Slack's bodies for injected faults: `ratelimited` on 429."""
        return {"ok": False, "error": "ratelimited" if status == 429 else "fatal_error"}

    # dispatch --------------------------------------------------------------------------------

    def handle(self, req: RecordedRequest) -> StubResponse:
        """Route `/api/<method>`, check auth and spec-required arguments, then run the method."""
        if not req.path.startswith("/api/"):
            self.record_violation(f"{req.method} {req.path}: not under /api/")
            return StubResponse(404, b"Not Found", {"Content-Type": "text/plain"})
        method = req.path.removeprefix("/api/")
        try:
            run = self._methods.get(method)
            if run is None:
                raise SlackError("unknown_method", "not emulated by SlackStub")
            args = self._arguments(req)
            self._authenticate(req, self.app_token if method == "apps.connections.open" else self.token)
            for name in sorted(required_params(method) - {"token"}):
                if args.get(name) in (None, ""):
                    raise SlackError(_MISSING_ARG_ERRORS.get(name, "invalid_arguments"), f"missing {name}")
            body = run(args)
        except SlackError as exc:
            detail = f" ({exc.detail})" if exc.detail else ""
            self.record_violation(f"{method}: {exc.code}{detail}")
            return StubResponse(200, {"ok": False, "error": exc.code})
        return StubResponse(200, {"ok": True, **body})

    def _arguments(self, req: RecordedRequest) -> Args:
        """Query string plus JSON or form body, as Slack merges them."""
        args: Args = dict(req.query)
        if not req.body:
            return args
        if "json" in req.content_type:
            if req.json_error is not None:
                raise SlackError("invalid_json", req.json_error)
            if not isinstance(req.json, dict):
                raise SlackError("json_not_object")
            args.update(req.json)
        elif req.form is not None:
            args.update(req.form)
        else:
            raise SlackError("invalid_post_type", f"content type {req.content_type!r}")
        return args

    def _authenticate(self, req: RecordedRequest, expected: str | None) -> None:
        """Spec lists `token` as required; clients send it as a Bearer header (README defect)."""
        scheme, _, credential = req.headers.get("authorization", "").partition(" ")
        token = credential.strip() if scheme.lower() == "bearer" else ""
        token = token or req.query.get("token", "") or (req.form or {}).get("token", "")
        if not token:
            raise SlackError("not_authed")
        if token != expected:
            raise SlackError("invalid_auth")

    def _resolve(self, args: Args) -> tuple[str, str]:
        channel = args.get("channel")
        name = self._channel_name(channel) if isinstance(channel, str) else None
        if name is None:
            raise SlackError("channel_not_found", f"unknown channel {channel!r}")
        return name, self._channel_ids[name]

    # methods ---------------------------------------------------------------------------------

    def _auth_test(self, args: Args) -> dict[str, Any]:
        return {
            "url": "https://alertfleet-test.slack.com/",
            "team": "alertfleet-test",
            "user": "alertfleet-bot",
            "team_id": "T0000001",
            "user_id": "U0000001",
            "bot_id": "B0000001",
            "is_enterprise_install": False,
        }

    def _connections_open(self, args: Args) -> dict[str, Any]:
        if self.socket is None:
            raise SlackError("not_allowed_token_type", "the stub has no Socket Mode (app_token)")
        with self._lock:
            self._connection_opens += 1
        return {"url": self.socket.url}

    def connection_opens(self) -> int:
        """Successful apps.connections.open calls."""
        with self._lock:
            return self._connection_opens

    def stop(self) -> None:
        if self.socket is not None:
            self.socket.stop()
        super().stop()

    def _conversations_info(self, args: Args) -> dict[str, Any]:
        name, channel_id = self._resolve(args)
        channel = {"id": channel_id, "name": name.removeprefix("#"), "is_channel": True}
        return {"channel": {**channel, "is_archived": False, "is_member": True, "created": 1_700_000_000}}

    def _conversations_list(self, args: Args) -> dict[str, Any]:
        channels = [
            {"id": channel_id, "name": name.removeprefix("#"), "is_channel": True, "is_archived": False}
            for name, channel_id in sorted(self._channel_ids.items())
        ]
        return {"channels": channels, "response_metadata": {"next_cursor": ""}}

    def _conversations_history(self, args: Args) -> dict[str, Any]:
        """Newest first; `oldest` filters by ts; metadata only with include_all_metadata, as Slack does."""
        _, channel_id = self._resolve(args)
        oldest = float(args.get("oldest") or 0)
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        with self._lock:
            found = [m for m in self._messages if m["channel_id"] == channel_id and float(m["ts"]) >= oldest]
        messages = []
        for stored in sorted(found, key=lambda m: float(m["ts"]), reverse=True):
            message: dict[str, Any] = {"type": "message", "ts": stored["ts"], "text": stored["text"]}
            if with_metadata and stored["metadata"]:
                message["metadata"] = stored["metadata"]
            messages.append(message)
        return {"messages": messages, "has_more": False}

    def _post_message(self, args: Args) -> dict[str, Any]:
        name, channel_id = self._resolve(args)
        text, blocks = _text(args), _blocks(args)
        attachments = _json_list(args.get("attachments"), "invalid_attachments")
        if not (text or blocks or attachments):
            raise SlackError("no_text", "none of text, blocks, attachments")
        thread_ts = args.get("thread_ts") or None
        version = MessageVersion(text=text or "", blocks=blocks or [], attachments=attachments or [])
        with self._lock:
            # Slack's ts is the unix time of the post (unique per channel): keep it real and increasing.
            micros = max(self._ts_counter + 100, time.time_ns() // 1000)
            self._ts_counter = micros
            ts = f"{micros // 1_000_000}.{micros % 1_000_000:06d}"
            self._messages.append(
                SlackMessage(
                    channel=name,
                    channel_id=channel_id,
                    ts=ts,
                    thread_ts=str(thread_ts) if thread_ts else None,
                    text=version["text"],
                    blocks=version["blocks"],
                    attachments=version["attachments"],
                    update_count=0,
                    history=[copy.deepcopy(version)],
                    metadata=_metadata(args),
                )
            )
            self._posts += 1
        if self.post_answer_delay:
            self._stopping.wait(self.post_answer_delay)
        message: dict[str, Any] = {"type": "message", "subtype": "bot_message", "bot_id": "B0000001"}
        message.update({"ts": ts, **{k: v for k, v in version.items() if v}})
        if thread_ts:
            message["thread_ts"] = thread_ts
        return {"channel": channel_id, "ts": ts, "message": message}

    def _update(self, args: Args) -> dict[str, Any]:
        _, channel_id = self._resolve(args)
        text, blocks = _text(args), _blocks(args)
        attachments = _json_list(args.get("attachments"), "invalid_attachments")
        if text is None and blocks is None and attachments is None:
            raise SlackError("no_text", "none of text, blocks, attachments")
        with self._lock:
            found = [m for m in self._messages if m["channel_id"] == channel_id and m["ts"] == args["ts"]]
            if not found:
                raise SlackError("message_not_found", f"no ts {args['ts']!r} in {channel_id}")
            stored = found[0]
            # Slack keeps fields the update leaves out; an empty list clears blocks/attachments.
            if text is not None:
                stored["text"] = text
            if blocks is not None:
                stored["blocks"] = blocks
            if attachments is not None:
                stored["attachments"] = attachments
            version = MessageVersion(text=stored["text"], blocks=stored["blocks"], attachments=stored["attachments"])
            stored["history"].append(copy.deepcopy(version))
            stored["update_count"] += 1
            self._updates += 1
        message = {k: v for k, v in version.items() if v or k == "text"}
        return {"channel": channel_id, "ts": stored["ts"], "text": stored["text"], "message": message}


def _metadata(args: Args) -> dict[str, Any] | None:
    """Message metadata (`event_type` + `event_payload`), sent as an object or a JSON string."""
    raw = args.get("metadata")
    if isinstance(raw, str) and raw:
        try:
            raw = json.loads(raw)
        except ValueError:
            raise SlackError("invalid_metadata_format") from None
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("event_type"), str) or "event_payload" not in raw:
        raise SlackError("invalid_metadata_format")
    return raw
