"""Reusable loopback HTTP stub server: records requests, injects faults, polices Retry-After.

Vendor stubs (Slack, model, later PagerDuty/OpsGenie) subclass `StubServer` and override
`handle`, so that fault injection and request recording behave the same for every vendor.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the stub saw it, so tests can assert on exactly what a client sent."""

    method: str
    path: str
    query: dict[str, str]
    query_lists: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    json: Any = None
    json_error: str | None = None
    form: dict[str, str] | None = None
    received_at: float = 0.0

    @property
    def content_type(self) -> str:
        """Media type without parameters, lower-cased ("" when absent)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


@dataclass
class StubResponse:
    """What a stub answers; `body` is a JSON-serialisable value or raw bytes."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> tuple[bytes, dict[str, str]]:
        """Serialise the body, adding a JSON content type unless the stub chose one."""
        headers = dict(self.headers)
        has_type = any(k.lower() == "content-type" for k in headers)
        if isinstance(self.body, bytes):
            if not has_type:
                headers["Content-Type"] = "application/octet-stream"
            return self.body, headers
        if not has_type:
            headers["Content-Type"] = "application/json; charset=utf-8"
        return json.dumps(self.body).encode("utf-8"), headers


@dataclass
class _Fault:
    remaining: int
    status: int
    headers: dict[str, str]
    body: Any
    path: str | None


def parse_request(method: str, target: str, raw_headers: Message, body: bytes) -> RecordedRequest:
    """Build a `RecordedRequest`, parsing JSON or form bodies once for every stub."""
    split = urlsplit(target)
    pairs = parse_qsl(split.query, keep_blank_values=True)
    query_lists: dict[str, list[str]] = {}
    for key, value in pairs:
        query_lists.setdefault(key, []).append(value)
    headers: dict[str, str] = {}
    for key, value in raw_headers.items():
        name = key.lower()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    req = RecordedRequest(
        method=method,
        path=split.path,
        query=dict(pairs),
        query_lists=query_lists,
        headers=headers,
        body=body,
        received_at=time.monotonic(),
    )
    parsed: dict[str, Any] = {}
    if body and "json" in req.content_type:
        try:
            parsed["json"] = json.loads(body)
        except ValueError as exc:
            parsed["json_error"] = str(exc)
    elif req.content_type == "application/x-www-form-urlencoded":
        try:
            parsed["form"] = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            parsed["form"] = None
    if not parsed:
        return req
    return replace(req, **parsed)


def _retry_after_seconds(headers: dict[str, str]) -> float | None:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return float(value)
            except ValueError:
                return None  # an HTTP-date; no stub announces one
    return None


class StubServer:
    """A real HTTP server on 127.0.0.1 (free port) in a daemon thread; subclass and override `handle`.

    Every request is recorded. Before `handle` runs, scripted faults (`fail_next`, `rate_limit`)
    may answer instead. A request that arrives before a Retry-After this stub announced has
    expired is recorded in `early_retries` (tracked stub-wide, not per client or per path).
    """

    def __init__(self, *, delay_seconds: float = 0.0, early_tolerance: float = 0.05) -> None:
        self.delay_seconds = delay_seconds
        self.early_tolerance = early_tolerance
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._requests: list[RecordedRequest] = []
        self._violations: list[str] = []
        self._early: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._rate_limit_until = 0.0
        self._rate_limit_retry_after = 0
        self._rate_limit_armed = 0.0  # a window that opens at the next request (seconds long)
        self._retry_not_before = 0.0
        self._last_retry_after_at = float("-inf")
        self.in_flight_grace = 0.25
        self._in_flight = 0
        self._max_in_flight = 0
        # Where to listen: loopback on a free port for tests; tests/stubs/serve.py (the Compose demo) binds a fixed one.
        self.bind: tuple[str, int] = (LOOPBACK, 0)

    # lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError(f"{type(self).__name__} already started")
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; delayed handlers are woken so that stopping never hangs."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (only while started)."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`, without a trailing slash."""
        return f"http://{LOOPBACK}:{self.port}"

    # recordings ----------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Snapshot of every request received, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def violations(self) -> list[str]:
        """Snapshot of the spec violations (and stub errors) recorded so far."""
        with self._lock:
            return list(self._violations)

    @property
    def early_retries(self) -> list[RecordedRequest]:
        """Requests that arrived before an announced Retry-After had expired."""
        with self._lock:
            return list(self._early)

    @property
    def max_in_flight(self) -> int:
        """The most requests this stub was answering at one moment (received, not yet answered)."""
        with self._lock:
            return self._max_in_flight

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """Requests whose path equals `path`."""
        return [r for r in self.requests if r.path == path]

    def record_violation(self, message: str) -> None:
        """Note a request the vendor's spec rejects; tests usually assert none happened."""
        with self._changed:
            self._violations.append(message)
            self._changed.notify_all()

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Block until `predicate()` holds (re-checked after each request); False on timeout."""
        with self._changed:
            return self._changed.wait_for(predicate, timeout=timeout)

    def reset(self) -> None:
        """Forget recordings and pending faults (vendor state is the subclass's business)."""
        with self._changed:
            self._requests.clear()
            self._violations.clear()
            self._early.clear()
            self._faults.clear()
            self._rate_limit_until = self._retry_not_before = self._rate_limit_armed = 0.0
            self._max_in_flight = self._in_flight

    # fault scripting -----------------------------------------------------------------------

    def fail_next(
        self,
        n: int,
        status: int,
        headers: dict[str, str] | None = None,
        body: Any = None,
        *,
        path: str | None = None,
    ) -> None:
        """Answer the next `n` requests (to `path`, if given) with `status`; faults queue FIFO.

        `body=None` uses `fault_body(status)`, the vendor's usual error for that status.
        """
        if n < 1:
            raise ValueError("n must be >= 1")
        with self._lock:
            self._faults.append(_Fault(n, status, dict(headers or {}), body, path))

    def rate_limit(self, retry_after: int = 2, for_seconds: float = 5.0, *, from_first_request: bool = False) -> None:
        """Answer 429 with `Retry-After: retry_after` to every request for `for_seconds` — from now, or
        (`from_first_request`) from the next request on, so a slow machine cannot make the window pass unseen."""
        with self._lock:
            self._rate_limit_retry_after = retry_after
            self._rate_limit_until = 0.0 if from_first_request else time.monotonic() + for_seconds
            self._rate_limit_armed = for_seconds if from_first_request else 0.0

    def fault_body(self, status: int) -> Any:
        """The body an injected fault sends when the test gave none; vendors override."""
        return {"error": f"injected fault {status}"}

    # request handling ----------------------------------------------------------------------

    def handle(self, req: RecordedRequest) -> StubResponse:
        """Answer one request; subclasses emulate their vendor here."""
        return StubResponse(404, {"error": f"no route for {req.method} {req.path}"})

    def dispatch(self, req: RecordedRequest) -> StubResponse:
        """Count in flight, then answer (`_answer`); called from the server threads."""
        with self._changed:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
        try:
            return self._answer(req)
        finally:
            with self._changed:
                self._in_flight -= 1
                self._changed.notify_all()

    def _answer(self, req: RecordedRequest) -> StubResponse:
        """Record, delay, apply faults, then `handle`."""
        with self._changed:
            self._requests.append(req)
            # Early: before the announced time, and sent after the client could have seen the 429
            # (a request already in flight when the 429 went out cannot be recalled).
            in_flight = req.received_at - self._last_retry_after_at < self.in_flight_grace
            if req.received_at + self.early_tolerance < self._retry_not_before and not in_flight:
                self._early.append(req)
            self._changed.notify_all()
        if self.delay_seconds > 0 and self._stopping.wait(self.delay_seconds):
            return StubResponse(503, self.fault_body(503))
        response = self._scripted_fault(req)
        if response is None:
            try:
                response = self.handle(req)
            except Exception:
                self.record_violation(f"stub error on {req.method} {req.path}:\n{traceback.format_exc()}")
                response = StubResponse(500, self.fault_body(500))
        retry_after = _retry_after_seconds(response.headers)
        with self._changed:
            if retry_after is not None:
                self._retry_not_before = max(self._retry_not_before, time.monotonic() + retry_after)
                self._last_retry_after_at = time.monotonic()
            self._changed.notify_all()
        return response

    def _scripted_fault(self, req: RecordedRequest) -> StubResponse | None:
        with self._lock:
            for fault in self._faults:
                if fault.path is None or fault.path == req.path:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    body = self.fault_body(fault.status) if fault.body is None else fault.body
                    return StubResponse(fault.status, body, dict(fault.headers))
            if self._rate_limit_armed:
                self._rate_limit_until, self._rate_limit_armed = time.monotonic() + self._rate_limit_armed, 0.0
            if time.monotonic() < self._rate_limit_until:
                headers = {"Retry-After": str(self._rate_limit_retry_after)}
                return StubResponse(429, self.fault_body(429), headers)
        return None


class _Handler(BaseHTTPRequestHandler):
    """Turns raw HTTP into `RecordedRequest`s for the owning stub; one connection per request."""

    server: _Server

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean; tests assert on `requests` instead of logs."""

    def _serve(self) -> None:
        req = parse_request(self.command, self.path, self.headers, self._read_body())
        response = self.server.stub.dispatch(req)
        payload, headers = response.encode()
        try:
            self.send_response(response.status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its timeout fired); nothing to answer

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while size := int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, stub: StubServer) -> None:
        self.stub = stub
        super().__init__(stub.bind, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Report handler crashes as violations rather than noise on stderr."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client hung up; not the stub's fault
        self.stub.record_violation(f"stub transport error:\n{traceback.format_exc()}")
