"""Synchronous, time-bounded calls into the async MCP SDK, from Celery's worker threads.

Every call runs on one background event loop per process and opens its own session (connect,
initialize, call, close): a server that restarted between calls just works, and one that hangs
costs the caller exactly its timeout — the coroutine is cancelled and the thread moves on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import httpx2
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from alertfleet.toolset_config import McpServerSpec, expanded_headers

T = TypeVar("T")


class McpCallError(Exception):
    """The server could not be reached, timed out, or failed the call; the text says which."""


class _LoopThread:
    """One asyncio loop in a daemon thread, recreated after a fork (a child has no such thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                self._loop = asyncio.new_event_loop()
                self._pid = os.getpid()
                threading.Thread(target=self._loop.run_forever, name="mcp-client", daemon=True).start()
            return self._loop


_RUNNER = _LoopThread()


def run_bounded(make: Callable[[], Awaitable[T]], timeout: float) -> T:
    """Run `make()` on the MCP loop; McpCallError after `timeout` seconds, whatever the server does."""

    async def bounded() -> T:
        with anyio.fail_after(timeout):
            return await make()

    future = asyncio.run_coroutine_threadsafe(bounded(), _RUNNER.loop())
    try:
        return future.result(timeout + 5)  # fail_after fires first; this only guards a stuck loop
    except (TimeoutError, concurrent.futures.TimeoutError):
        future.cancel()
        raise McpCallError(f"no answer within {timeout:g}s") from None
    except McpCallError:
        raise
    except BaseException as exc:  # connection refused, HTTP errors, protocol errors, in exception groups
        raise McpCallError(_reason(exc)) from None


def _reason(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text[:300]}"


@dataclass(frozen=True)
class RemoteTool:
    name: str
    description: str
    input_schema: dict[str, Any]


async def _connect(stack: AsyncExitStack, spec: McpServerSpec, headers: Mapping[str, str]) -> Client:
    if spec.uses_sse:
        transport: Any = sse_client(
            spec.url, headers=dict(headers), timeout=spec.timeout, sse_read_timeout=spec.timeout
        )
    else:
        http = await stack.enter_async_context(
            create_mcp_http_client(headers=dict(headers), timeout=httpx2.Timeout(spec.timeout))
        )
        transport = streamable_http_client(spec.url, http_client=http)
    return await stack.enter_async_context(Client(transport, read_timeout_seconds=spec.timeout))


def list_tools(spec: McpServerSpec) -> list[RemoteTool]:
    headers = expanded_headers(spec.headers)

    async def listing() -> list[RemoteTool]:
        async with AsyncExitStack() as stack:
            client = await _connect(stack, spec, headers)
            result = await client.list_tools()
            found = list(result.tools)
            while result.next_cursor:
                result = await client.list_tools(cursor=result.next_cursor)
                found += result.tools
            return [RemoteTool(t.name, t.description or "", dict(t.input_schema or {})) for t in found]

    return run_bounded(listing, spec.timeout)


def call_tool(spec: McpServerSpec, name: str, arguments: dict[str, Any]) -> str:
    headers = expanded_headers(spec.headers)

    async def calling() -> str:
        async with AsyncExitStack() as stack:
            client = await _connect(stack, spec, headers)
            result = await client.call_tool(name, arguments, read_timeout_seconds=spec.timeout)
            text = "\n".join(_content_text(part) for part in result.content)
            if not text and result.structured_content is not None:
                text = str(result.structured_content)
            if result.is_error:
                raise McpCallError(f"the tool failed: {text[:500]}")
            return text

    return run_bounded(calling, spec.timeout)


def _content_text(part: Any) -> str:
    kind = getattr(part, "type", "")
    if kind == "text":
        return str(part.text)
    if kind == "resource":
        resource = part.resource
        return str(getattr(resource, "text", "") or f"[resource {resource.uri}]")
    return f"[{kind} content omitted]"
