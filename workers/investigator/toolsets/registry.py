"""Which toolsets are on for this process: built from the settings (file over environment), once per config.

The worker builds its toolbox at start-up (listing MCP servers then) and logs one line saying which
toolsets are on; a new routing file (SIGHUP, file change) builds a new one. Investigations take their
tools from it, restricted to the route's `toolsets:` when it names some.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from alertfleet.config import RoutingConfig
from alertfleet.models import Event
from alertfleet.settings import Settings
from alertfleet.toolset_config import BUILTIN_TOOLSETS, ENV_HINT, EffectiveToolsets, effective_toolsets
from workers.investigator.toolsets import Tool, Toolset, default_tools
from workers.investigator.toolsets.mcp import McpServerToolset

log = structlog.get_logger("toolsets")


def _prometheus(effective: EffectiveToolsets) -> Toolset:
    from workers.investigator.toolsets.prometheus import prometheus_toolset

    return prometheus_toolset(effective.prometheus, effective.tool_timeout)  # type: ignore[arg-type]


def _alertmanager(effective: EffectiveToolsets) -> Toolset:
    from workers.investigator.toolsets.alertmanager import alertmanager_toolset

    return alertmanager_toolset(effective.alertmanager, effective.tool_timeout)  # type: ignore[arg-type]


def _kubernetes(effective: EffectiveToolsets) -> Toolset:
    from workers.investigator.toolsets.kubernetes import kubernetes_toolset

    return kubernetes_toolset(effective.kubernetes, effective.tool_timeout)  # type: ignore[arg-type]


def _skills(effective: EffectiveToolsets) -> Toolset:
    from workers.investigator.toolsets.skills import skills_toolset

    return skills_toolset(effective.skills, effective.allowed_hosts, effective.tool_timeout)  # type: ignore[arg-type]


def _http(effective: EffectiveToolsets) -> Toolset:
    from workers.investigator.toolsets.http import http_toolset

    return http_toolset(effective.http, effective.tool_timeout)  # type: ignore[arg-type]


# Each toolset's module is imported only when it is configured: the kubernetes client alone takes
# about a second of CPU to import, which every one-shot CLI run and worker start would pay for nothing.
_BUILDERS: dict[str, Callable[[EffectiveToolsets], Toolset]] = {
    "prometheus": _prometheus,
    "alertmanager": _alertmanager,
    "kubernetes": _kubernetes,
    "skills": _skills,
    "http": _http,
}


def _builtin(effective: EffectiveToolsets) -> list[Toolset]:
    toolsets = []
    for name in BUILTIN_TOOLSETS:
        if getattr(effective, name) is None:
            toolsets.append(Toolset(name, False, reason=f"not configured (toolsets.{name} or {ENV_HINT[name]})"))
        else:
            toolsets.append(_BUILDERS[name](effective))
    return toolsets


@dataclass
class Toolbox:
    builtin: list[Toolset]
    mcp: list[McpServerToolset]
    effective: EffectiveToolsets

    def toolsets(self) -> list[Toolset]:
        """Every toolset with its state now (an MCP server that was unreachable is tried again)."""
        return self.builtin + [server.toolset() for server in self.mcp]

    def active(self, names: list[str] | None = None) -> list[Toolset]:
        """The enabled toolsets, only those named when a route names some."""
        return [t for t in self.toolsets() if t.enabled and (names is None or t.name in names)]

    def tools(self, names: list[str] | None = None) -> list[Tool]:
        return default_tools() + [tool for toolset in self.active(names) for tool in toolset.tools]

    def prompt_lines(self, event: Event, names: list[str] | None = None) -> list[str]:
        return [line for toolset in self.active(names) if toolset.prompt for line in toolset.prompt(event)]

    def summary(self) -> str:
        on = [t.name for t in self.toolsets() if t.enabled]
        return ", ".join(on) or "none"


def build_toolbox(effective: EffectiveToolsets) -> Toolbox:
    servers = [McpServerToolset(name, spec) for name, spec in effective.mcp_servers.items()]
    for server in servers:
        server.refresh(force=True)
    return Toolbox(_builtin(effective), servers, effective)


_lock = threading.Lock()
_cached: tuple[str, Toolbox] | None = None


def toolbox_for(settings: Settings, config: RoutingConfig) -> Toolbox:
    """The process's toolbox for this config (built on first use and whenever the config changes)."""
    global _cached
    with _lock:
        if _cached is not None and _cached[0] == config.digest:
            return _cached[1]
        toolbox = build_toolbox(effective_toolsets(settings, config.toolsets, config.mcp_servers))
        _cached = (config.digest, toolbox)
    off = {t.name: t.reason for t in toolbox.toolsets() if not t.enabled}
    log.info("toolsets_enabled", on=toolbox.summary(), off=sorted(off))
    return toolbox
