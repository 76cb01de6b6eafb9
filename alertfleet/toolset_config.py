"""The `toolsets:` and `mcp_servers:` parts of ALERTFLEET_CONFIG, and their merge with the environment.

The environment variables (PROMETHEUS_URL, ALERTMANAGER_URL, KUBECONFIG, ALERTFLEET_SKILLS_DIR,
ALERTFLEET_FETCH_ALLOWED_HOSTS) are the short form of the same settings: a toolset the file
configures takes the file's settings, a toolset it leaves out takes the environment's.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alertfleet.headers import check_header_map, expand_env, parse_header_pairs
from alertfleet.settings import FleetSettings, parse_duration

BUILTIN_TOOLSETS = ("prometheus", "alertmanager", "kubernetes", "skills", "http")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SERVER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")
DEFAULT_MCP_TIMEOUT = 30.0
IN_CLUSTER_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value.rstrip("/")


class PrometheusSpec(_Strict):
    url: str
    headers: dict[str, str] = Field(default_factory=dict)

    _url = field_validator("url")(lambda cls, v: _http_url(v))
    _headers = field_validator("headers")(lambda cls, v: check_header_map(v))


class AlertmanagerSpec(_Strict):
    url: str
    headers: dict[str, str] = Field(default_factory=dict)

    _url = field_validator("url")(lambda cls, v: _http_url(v))
    _headers = field_validator("headers")(lambda cls, v: check_header_map(v))


class KubernetesSpec(_Strict):
    enabled: bool = True
    kubeconfig: str | None = None  # default: KUBECONFIG, then in-cluster, then ~/.kube/config
    context: str | None = None


class SkillsSpec(_Strict):
    paths: list[str] = Field(min_length=1)


class HttpSpec(_Strict):
    allowed_hosts: list[str] = Field(min_length=1)

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        for host in value:
            if not host.strip() or any(char in host for char in "/ @?#"):
                raise ValueError(f"{host!r} is not a host name (no scheme, port or path)")
        return [host.lower() for host in value]


class ToolsetsSpec(_Strict):
    prometheus: PrometheusSpec | None = None
    alertmanager: AlertmanagerSpec | None = None
    kubernetes: KubernetesSpec | None = None
    skills: SkillsSpec | None = None
    http: HttpSpec | None = None


class McpServerSpec(_Strict):
    url: str
    transport: str = "streamable-http"  # or "sse"; a URL ending in /sse means SSE too
    headers: dict[str, str] = Field(default_factory=dict)
    tools: list[str] | None = None  # allow-list; None offers every tool the server lists
    timeout: float = Field(default=DEFAULT_MCP_TIMEOUT, gt=0, le=600)

    _url = field_validator("url")(lambda cls, v: _http_url(v))
    _headers = field_validator("headers")(lambda cls, v: check_header_map(v))
    _timeout = field_validator("timeout", mode="before")(lambda cls, v: parse_duration(v) if isinstance(v, str) else v)

    @field_validator("transport")
    @classmethod
    def _transport(cls, value: str) -> str:
        if value not in ("streamable-http", "sse"):
            raise ValueError("must be streamable-http or sse")
        return value

    @property
    def uses_sse(self) -> bool:
        return self.transport == "sse" or self.url.endswith("/sse")


def mcp_server_problems(servers: Mapping[str, McpServerSpec], env: Mapping[str, str]) -> list[str]:
    """Names the model can call, and every `${VAR}` a header needs, checked before the first alert."""
    problems = []
    for name, server in servers.items():
        if not _SERVER_NAME.match(name):
            problems.append(f"mcp_servers.{name}: a server name is a letter then letters, digits, _ or - (≤ 40)")
        for header, value in server.headers.items():
            problems += [
                f"mcp_servers.{name}.headers.{header}: environment variable {ref} is not set"
                for ref in _ENV_REF.findall(value)
                if ref not in env
            ]
    return problems


def route_toolset_problems(path: str, names: list[str], mcp_servers: Mapping[str, McpServerSpec]) -> list[str]:
    known = (*BUILTIN_TOOLSETS, *mcp_servers)
    return [
        f"{path}.toolsets[{index}]: unknown toolset {name!r} (one of {', '.join(known)})"
        for index, name in enumerate(names)
        if name not in known
    ]


def mcp_secret_names(servers: Mapping[str, McpServerSpec]) -> list[str]:
    return [ref for server in servers.values() for value in server.headers.values() for ref in _ENV_REF.findall(value)]


# --- the effective settings: file over environment ----------------------------------------------------


@dataclass(frozen=True)
class EffectiveToolsets:
    """What each toolset runs with, and where the setting came from (for `toolsets list` and the log)."""

    prometheus: PrometheusSpec | None = None
    alertmanager: AlertmanagerSpec | None = None
    kubernetes: KubernetesSpec | None = None
    skills: SkillsSpec | None = None
    http: HttpSpec | None = None
    mcp_servers: Mapping[str, McpServerSpec] = field(default_factory=dict)
    tool_timeout: float = 30.0
    tool_concurrency: int = 4
    origin: Mapping[str, str] = field(default_factory=dict)

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        return tuple(self.http.allowed_hosts) if self.http else ()

    def configured(self) -> list[str]:
        """The toolsets whose settings are there (whether their server answers is another matter)."""
        return [name for name in BUILTIN_TOOLSETS if getattr(self, name) is not None] + list(self.mcp_servers)


def unconfigured_route_toolsets(routes: list[tuple[str, tuple[str, ...] | None]], configured: list[str]) -> list[str]:
    """A route asking for a toolset nobody configured would silently investigate without it: refuse."""
    problems, seen = [], set()
    for path, names in routes:
        for index, name in enumerate(names or ()):
            if name in BUILTIN_TOOLSETS and name not in configured and name not in seen:
                seen.add(name)
                problems.append(
                    f"{path}.toolsets[{index}]: toolset {name!r} is not configured "
                    f"(set toolsets.{name} in the file or {ENV_HINT[name]})"
                )
    return problems


ENV_HINT = {
    "prometheus": "PROMETHEUS_URL",
    "alertmanager": "ALERTMANAGER_URL",
    "kubernetes": "KUBECONFIG, or run in-cluster",
    "skills": "ALERTFLEET_SKILLS_DIR",
    "http": "ALERTFLEET_FETCH_ALLOWED_HOSTS",
}


def _header_pairs(text: str | None) -> dict[str, str]:
    """PROMETHEUS_HEADERS as written (references unexpanded): expansion happens per request."""
    return dict(parse_header_pairs(text)) if text else {}


def kubernetes_from_env(settings: FleetSettings, environ: Mapping[str, str]) -> KubernetesSpec | None:
    """In-cluster config, KUBECONFIG, or the default ~/.kube/config: whichever exists; none → off."""
    if settings.kubeconfig:
        return KubernetesSpec(kubeconfig=settings.kubeconfig)
    if environ.get("KUBERNETES_SERVICE_HOST") and IN_CLUSTER_TOKEN.is_file():
        return KubernetesSpec()
    default = Path(environ.get("HOME", "~")).expanduser() / ".kube" / "config"
    return KubernetesSpec(kubeconfig=str(default)) if default.is_file() else None


def effective_toolsets(
    settings: FleetSettings,
    file: ToolsetsSpec | None = None,
    mcp_servers: Mapping[str, McpServerSpec] | None = None,
    environ: Mapping[str, str] | None = None,
) -> EffectiveToolsets:
    env = os.environ if environ is None else environ
    file = file or ToolsetsSpec()
    from_env: dict[str, Any] = {}
    if settings.prometheus_url:
        secret = settings.prometheus_headers.get_secret_value() if settings.prometheus_headers else None
        from_env["prometheus"] = PrometheusSpec(url=settings.prometheus_url, headers=_header_pairs(secret))
    alertmanager_url = getattr(settings, "alertmanager_url", None)  # ALERTMANAGER_URL (the alertmanager source's)
    if alertmanager_url:
        from_env["alertmanager"] = AlertmanagerSpec(url=alertmanager_url)
    kube = kubernetes_from_env(settings, env)
    if kube is not None:
        from_env["kubernetes"] = kube
    if settings.skills_dir:
        paths = [part for part in settings.skills_dir.split(":") if part.strip()]
        if paths:
            from_env["skills"] = SkillsSpec(paths=paths)
    if settings.fetch_allowed_hosts:
        from_env["http"] = HttpSpec(allowed_hosts=settings.fetch_allowed_hosts)
    chosen: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for name in BUILTIN_TOOLSETS:
        in_file = getattr(file, name)
        if in_file is not None:
            chosen[name], origin[name] = in_file, "file"
        elif name in from_env:
            chosen[name], origin[name] = from_env[name], "environment"
    kube_file = file.kubernetes
    if kube_file is not None and not kube_file.enabled:
        chosen["kubernetes"] = None
    elif kube_file is not None and kube_file.kubeconfig is None and kube is not None and kube.kubeconfig:
        # `enabled: true` without a path: the same discovery as without the file (KUBECONFIG, ~/.kube/config).
        chosen["kubernetes"] = kube_file.model_copy(update={"kubeconfig": kube.kubeconfig})
    return EffectiveToolsets(
        **chosen,
        mcp_servers=dict(mcp_servers or {}),
        tool_timeout=settings.tool_timeout,
        tool_concurrency=settings.tool_concurrency,
        origin=origin,
    )


def expanded_headers(headers: Mapping[str, str], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """`${VAR}` expanded at the moment of the request; values are never logged."""
    env = os.environ if environ is None else environ
    return {name: expand_env(value, env) for name, value in headers.items()}

