"""A real MCP server built with the SDK (`MCPServer`, FastMCP before mcp 2.x) over streamable HTTP.

Run as `python -m tests.stubs.mcp_server PORT [streamable-http|sse]` in its own process, so tests can start it late, stop
it, or let a tool sleep past the client's timeout. Every request's Authorization header is checked.
"""

from __future__ import annotations

import sys
import time

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.context import Context
from mcp.server.mcpserver.exceptions import ToolError

TOKEN = "mcp-test-token-42"
server = MCPServer("alertfleet-test-mcp")


def _authorised(ctx: Context) -> None:
    header = (ctx.headers or {}).get("authorization", "")
    if header != f"Bearer {TOKEN}":
        raise ToolError("missing or wrong bearer token")


@server.tool()
def query_loki_logs(query: str, ctx: Context) -> str:
    """Search logs with a LogQL query."""
    _authorised(ctx)
    return f"loki: 3 lines for {query}: ERROR connection refused to db-primary:5432"


@server.tool()
def search_dashboards(query: str, ctx: Context) -> str:
    """Find Grafana dashboards by title."""
    _authorised(ctx)
    return f"dashboard 'API latency' matches {query}"


@server.tool()
def delete_dashboard(uid: str) -> str:
    """A tool the allow-list must hide."""
    return f"deleted {uid}"


@server.tool()
def slow_tool(seconds: float) -> str:
    """Sleeps, to outlast the client's timeout."""
    time.sleep(seconds)
    return "finally"


if __name__ == "__main__":
    transport = sys.argv[2] if len(sys.argv) > 2 else "streamable-http"
    server.run(transport, host="127.0.0.1", port=int(sys.argv[1]))  # type: ignore[call-overload]
