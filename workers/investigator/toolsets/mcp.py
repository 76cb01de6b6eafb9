"""MCP servers as toolsets: each server's tools offered as `<server>__<tool>`, its allow-list applied.

The tools are listed when the worker starts; a server unreachable then is listed again (at most every
RELIST_SECONDS) when an investigation starts, so one that comes up later joins without a restart.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import structlog

from alertfleet.models import Event
from alertfleet.toolset_config import McpServerSpec
from workers.investigator.toolsets import Tool, ToolError, Toolset
from workers.investigator.toolsets.mcp_client import McpCallError, RemoteTool, call_tool, list_tools

log = structlog.get_logger("toolsets")
RELIST_SECONDS = 5.0
SEPARATOR = "__"


class McpServerToolset:
    """One configured server: its listed tools, or why it is unreachable and when to try again."""

    def __init__(self, name: str, spec: McpServerSpec) -> None:
        self.name = name
        self.spec = spec
        self._lock = threading.Lock()
        self._tools: tuple[Tool, ...] | None = None
        self._hidden: list[str] = []
        self._reason = "not listed yet"
        self._next_try = 0.0

    def refresh(self, *, force: bool = False) -> None:
        """List the server's tools unless they are known, or it failed less than RELIST_SECONDS ago."""
        if not force and (self._tools is not None or time.monotonic() < self._next_try):
            return
        # Another thread is listing already: don't queue behind it, use what is known now.
        if not self._lock.acquire(blocking=force):
            return
        try:
            try:
                remote = list_tools(self.spec)
            except McpCallError as exc:
                self._reason = f"unreachable: {exc}"
                self._next_try = time.monotonic() + RELIST_SECONDS
                log.warning("mcp_server_unreachable", server=self.name, url=self.spec.url, reason=str(exc))
                return
            allowed = set(self.spec.tools) if self.spec.tools is not None else None
            self._hidden = [t.name for t in remote if allowed is not None and t.name not in allowed]
            self._tools = tuple(self._tool(t) for t in remote if allowed is None or t.name in allowed)
            missing = sorted((allowed or set()) - {t.name for t in remote})
            if missing:
                log.warning("mcp_tools_missing", server=self.name, tools=missing)
            log.info("mcp_server_listed", server=self.name, tools=[t.name for t in self._tools])
        finally:
            self._lock.release()

    def _tool(self, remote: RemoteTool) -> Tool:
        spec, name = self.spec, remote.name

        def run(_event: Event, arguments: dict[str, Any]) -> str:
            try:
                return call_tool(spec, name, arguments)
            except McpCallError as exc:
                raise ToolError(f"MCP server {self.name}: {exc}") from None

        schema = remote.input_schema or {"type": "object", "properties": {}}
        schema.setdefault("type", "object")
        description = remote.description or f"{name} on MCP server {self.name}"
        # The call bounds itself (spec.timeout); the loop's own guard waits a little longer than that.
        return Tool(f"{self.name}{SEPARATOR}{name}", description[:1024], schema, run, timeout=spec.timeout + 2)

    def toolset(self) -> Toolset:
        self.refresh()
        if self._tools is None:
            return Toolset(self.name, False, reason=self._reason, detail=self.spec.url)
        hidden = f"; hidden by tools: {', '.join(self._hidden)}" if self._hidden else ""
        return Toolset(self.name, True, self._tools, detail=f"MCP {self.spec.url}{hidden}")
