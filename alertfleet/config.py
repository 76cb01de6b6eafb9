"""The routing config (ALERTFLEET_CONFIG): models, named destinations and an Alertmanager-style route tree.

The file is validated as a whole at start-up and on every reload; each problem is one line naming its
place in the file, e.g. `route.routes[2].destinations[0]: unknown destination 'oncall-eu'`.
Without a file, the environment gives the one default route (each integration's own variables, and MODEL).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from alertfleet.config_file import ConfigFile, ModelSpec, RouteSpec, config_file_model, destination_types
from alertfleet.matchers import Matcher, legacy_matchers, parse_matchers
from alertfleet.models import InvestigateMode
from alertfleet.registry import by_destination
from alertfleet.registry import destinations as registry_destinations
from alertfleet.settings import FleetSettings
from alertfleet.toolset_config import (
    McpServerSpec,
    ToolsetsSpec,
    effective_toolsets,
    mcp_secret_names,
    mcp_server_problems,
    route_toolset_problems,
    unconfigured_route_toolsets,
)

__all__ = [
    "GROUP_BY_ALL",
    "ConfigError",
    "DestinationSpec",
    "Route",
    "RoutingConfig",
    "default_config",
    "load_config",
    "parse_config",
]

# A destination as parsed: the model its integration declares (alertfleet.integration.destination_model).
DestinationSpec = BaseModel
GROUP_BY_ALL = "..."


class ConfigError(Exception):
    """A config that cannot be used: one line per problem, each naming where in the file it is."""

    def __init__(self, problems: list[str], source: str = "") -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        self.source = source

    def lines(self) -> list[str]:
        prefix = f"{self.source}: " if self.source else ""
        return [f"{prefix}{problem}" for problem in self.problems]


# --- the resolved tree ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """A route with everything inherited already filled in."""

    path: str
    name: str
    matchers: tuple[Matcher, ...]
    continue_: bool
    investigate: InvestigateMode
    model: str | None
    max_steps: int | None
    timeout: float | None
    destinations: tuple[str, ...]
    group_by: tuple[str, ...] | None
    routes: tuple[Route, ...] = ()
    toolsets: tuple[str, ...] | None = None  # None: every enabled toolset
    max_tokens: int | None = None  # None: ALERTFLEET_MAX_TOKENS_PER_INVESTIGATION

    def walk(self, depth: int = 0) -> Iterator[tuple[int, Route]]:
        """Depth-first, parents before children (Alertmanager's Route.Walk order)."""
        yield depth, self
        for child in self.routes:
            yield from child.walk(depth + 1)


@dataclass(frozen=True)
class RoutingConfig:
    route: Route
    destinations: Mapping[str, DestinationSpec]
    source: str
    digest: str
    # The names an API request may ask for (`models:`, else MODEL) -> litellm model ids.
    models: Mapping[str, str] = field(default_factory=dict)
    # Tools whose every call a chat client must approve (`tools: {name: {approval: true}}`).
    approval_tools: frozenset[str] = frozenset()
    toolsets: ToolsetsSpec = field(default_factory=ToolsetsSpec)
    mcp_servers: Mapping[str, McpServerSpec] = field(default_factory=dict)
    model_limits: Mapping[str, ModelSpec] = field(default_factory=dict)  # by litellm model id

    def secret_values(self, environ: Mapping[str, str] | None = None) -> list[str]:
        """Values of the variables the file names, so that logs can mask them."""
        env = os.environ if environ is None else environ
        names = [name for d in self.destinations.values() for name in by_destination(d).secret_env_names(d)]
        names += mcp_secret_names(self.mcp_servers)
        return [env[name] for name in names if name and env.get(name)]


# --- loading ----------------------------------------------------------------------------------------------


def load_config(
    settings: FleetSettings, path: Path | None = None, environ: Mapping[str, str] | None = None
) -> RoutingConfig:
    """The file at `path` (default ALERTFLEET_CONFIG) or, without one, the environment's default route."""
    path = path if path is not None else settings.config_file
    if path is None:
        return default_config(settings)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"cannot read the file: {type(exc).__name__}: {exc}"], str(path)) from None
    return parse_config(text, settings, str(path), environ)


def parse_config(
    text: str, settings: FleetSettings, source: str = "<config>", environ: Mapping[str, str] | None = None
) -> RoutingConfig:
    """Validate a config text as a whole; raise ConfigError listing every problem found."""
    env = os.environ if environ is None else environ
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader) or {}  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError([_yaml_problem(exc)], source) from None
    if not isinstance(raw, dict):
        raise ConfigError([f"the file must be a mapping with a route: key, not a {type(raw).__name__}"], source)
    try:
        spec = config_file_model().model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_pydantic_problems(exc), source) from None
    problems: list[str] = []
    models = {name: (m if isinstance(m, str) else m.model) for name, m in spec.models.items()}
    root = _resolve(spec.route, "route", None, spec, models, settings, problems)
    problems += _root_problems(spec.route) + _name_problems(root) + _secret_problems(spec, settings, env)
    problems += mcp_server_problems(spec.mcp_servers, env)
    configured = effective_toolsets(settings, spec.toolsets, spec.mcp_servers, env).configured()
    problems += unconfigured_route_toolsets([(r.path, r.toolsets) for _d, r in root.walk()], configured)
    model_limits = _model_limits(spec, problems)
    if problems:
        raise ConfigError(problems, source)
    return RoutingConfig(
        root,
        dict(spec.destinations),
        source,
        hashlib.sha256(text.encode()).hexdigest(),
        models=models or _env_models(settings),
        approval_tools=frozenset(name for name, tool in spec.tools.items() if tool.approval),
        toolsets=spec.toolsets,
        mcp_servers=dict(spec.mcp_servers),
        model_limits=model_limits,
    )


def _env_models(settings: FleetSettings) -> dict[str, str]:
    return {settings.model: settings.model} if settings.model else {}


def _model_limits(spec: ConfigFile, problems: list[str]) -> dict[str, ModelSpec]:
    """Limits belong to the provider's model id: two names for one id must not disagree about them."""
    found: dict[str, tuple[str, ModelSpec]] = {}
    for name, entry in spec.models.items():
        if isinstance(entry, str) or (entry.concurrency, entry.rpm, entry.tpm) == (None, None, None):
            continue
        earlier = found.get(entry.model)
        if earlier is not None and earlier[1] != entry:
            problems.append(f"models.{name}: limits for {entry.model} differ from those of models.{earlier[0]}")
        found.setdefault(entry.model, (name, entry))
    return {model: entry for model, (_name, entry) in found.items()}


def default_config(settings: FleetSettings) -> RoutingConfig:
    """Zero-config: one route sending every investigation to the destinations the environment sets up."""
    destinations: dict[str, DestinationSpec] = {}
    for integration in registry_destinations():
        found = integration.default_destination(settings)
        if found is not None:
            destinations[integration.name] = found
    root = Route(
        path="route",
        name="default",
        matchers=(),
        continue_=False,
        investigate="llm" if settings.model else "enrich",
        model=settings.model,
        max_steps=None,
        timeout=None,
        destinations=tuple(destinations),
        group_by=None,
    )
    return RoutingConfig(root, destinations, "environment", "environment", models=_env_models(settings))


def _resolve(
    spec: RouteSpec,
    path: str,
    parent: Route | None,
    file: ConfigFile,
    models: Mapping[str, str],
    settings: FleetSettings,
    problems: list[str],
) -> Route:
    """Fill in what the route inherits from its parent, and note what it references but nobody defined."""
    matchers = [m for text in spec.matchers for m in parse_matchers(text)]
    matchers += legacy_matchers(spec.match, spec.match_re)
    if spec.model is not None:
        model: str | None = models.get(spec.model, spec.model)
    else:
        model = parent.model if parent else settings.model
    if spec.investigate is not None:
        investigate: InvestigateMode = spec.investigate
    else:
        investigate = parent.investigate if parent else ("llm" if model else "enrich")
    if spec.investigate == "llm" and not model:
        problems.append(f"{path}.investigate: 'llm' needs a model: set model: here or on a parent route, or MODEL")
    if spec.destinations is not None:
        destinations = tuple(spec.destinations)
        for index, name in enumerate(spec.destinations):
            if name not in file.destinations:
                problems.append(f"{path}.destinations[{index}]: unknown destination {name!r}")
    else:
        destinations = parent.destinations if parent else ()
    if spec.toolsets is not None:
        problems += route_toolset_problems(path, spec.toolsets, file.mcp_servers)
        toolsets: tuple[str, ...] | None = tuple(spec.toolsets)
    else:
        toolsets = parent.toolsets if parent else None
    route = Route(
        path=path,
        name=spec.name or path,
        matchers=tuple(matchers),
        continue_=spec.continue_,
        investigate=investigate,
        model=model,
        max_steps=spec.max_steps if spec.max_steps is not None else (parent.max_steps if parent else None),
        max_tokens=spec.max_tokens if spec.max_tokens is not None else (parent.max_tokens if parent else None),
        timeout=spec.timeout if spec.timeout is not None else (parent.timeout if parent else None),
        destinations=destinations,
        group_by=tuple(spec.group_by) if spec.group_by is not None else (parent.group_by if parent else None),
        toolsets=toolsets,
    )
    children = tuple(
        _resolve(child, f"{path}.routes[{index}]", route, file, models, settings, problems)
        for index, child in enumerate(spec.routes)
    )
    return Route(**{**route.__dict__, "routes": children})


def _root_problems(root: RouteSpec) -> list[str]:
    # Alertmanager refuses both: the root route must catch everything, and has no sibling to continue to.
    problems = []
    if root.matchers or root.match or root.match_re:
        problems.append("route.matchers: the root route must not have matchers (it catches every alert)")
    if root.continue_:
        problems.append("route.continue: the root route cannot have continue")
    return problems


def _name_problems(root: Route) -> list[str]:
    seen: dict[str, str] = {}
    problems = []
    for _depth, route in root.walk():
        if route.name in seen:
            problems.append(f"{route.path}.name: route name {route.name!r} is already used by {seen[route.name]}")
        seen.setdefault(route.name, route.path)
    return problems


def _secret_problems(spec: ConfigFile, settings: FleetSettings, env: Mapping[str, str]) -> list[str]:
    """Every secret a destination needs must be there now, not at the first alert."""
    problems = []
    for name, destination in spec.destinations.items():
        integration = by_destination(destination)
        problems += integration.destination_problems(f"destinations.{name}", destination, settings, env)
    return problems


def _pydantic_problems(exc: ValidationError) -> list[str]:
    problems = []
    errors = exc.errors()
    # A `models:` entry is a string or a mapping: report the mapping's problem, at the entry's own place.
    spec_errors = {
        err["loc"][1] for err in errors if err["loc"][:1] == ("models",) and err["loc"][2:3] == ("ModelSpec",)
    }
    for err in errors:
        loc = list(err["loc"])
        if len(loc) >= 3 and loc[0] == "models" and loc[2] in ("str", "ModelSpec"):
            if loc[2] == "str" and loc[1] in spec_errors:
                continue
            del loc[2]
        if len(loc) >= 3 and loc[0] == "destinations":
            del loc[2]  # the discriminator's tag (the destination's type) is not a place in the file
        problems.append(f"{_path(loc) or 'file'}: {_message(err)}")
    return problems


def _path(loc: list[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "missing required key"
    if kind == "union_tag_invalid":
        return f"unknown destination type {err['ctx']['tag']!r} (one of {', '.join(destination_types())})"
    if kind == "union_tag_not_found":
        return f"missing type: (one of {', '.join(destination_types())})"
    return str(err["msg"]).removeprefix("Value error, ")


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1} column {mark.column + 1}: " if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    return f"{where}invalid YAML: {problem}"


class _UniqueKeyLoader(yaml.SafeLoader):
    """A duplicate key (two `routes:` in one route) is an error, not a silent overwrite."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)
