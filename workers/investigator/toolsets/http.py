"""The http toolset: `fetch_webpage` GETs pages on ALERTFLEET_FETCH_ALLOWED_HOSTS only, as text."""

from __future__ import annotations

from typing import Any

from alertfleet.models import Event
from alertfleet.toolset_config import HttpSpec
from workers.investigator.toolsets import Tool, Toolset, params, string_arg
from workers.investigator.toolsets.safe_fetch import FetchPolicy, fetch


def http_toolset(spec: HttpSpec, timeout: float) -> Toolset:
    policy = FetchPolicy(tuple(spec.allowed_hosts), timeout)

    def fetch_webpage(_event: Event, arguments: dict[str, Any]) -> str:
        page = fetch(string_arg(arguments, "url"), policy)
        return f"{page.url} (HTTP {page.status}, {page.content_type or 'no type'})\n{page.text}"

    tool = Tool(
        "fetch_webpage",
        f"GET a web page (wiki, dashboard, status page) and return its text. Only these hosts: "
        f"{', '.join(spec.allowed_hosts)}.",
        params({"url": {"type": "string", "description": "An http(s) URL on an allowed host."}}, ["url"]),
        fetch_webpage,
    )
    return Toolset("http", True, (tool,), detail=f"allowed hosts: {', '.join(spec.allowed_hosts)}")
