"""`alertfleet config check|route`: validate the routing file, and see where an alert would go.

`route` is alertfleet's `amtool config routes test`: the labels in, the matched routes and what they
decide out. Both read ALERTFLEET_CONFIG when no file is given (and show the environment's default
route when that is unset too).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from alertfleet.config import ConfigError, DestinationSpec, Route, RoutingConfig, load_config
from alertfleet.matchers import MatcherError, parse_labels
from alertfleet.models import Event
from alertfleet.registry import by_destination
from alertfleet.routing import decide, match_routes
from alertfleet.settings import FleetSettings, SettingsError, get_settings

config_app = typer.Typer(help="Routing config: validate it, and test where alerts go.", no_args_is_help=True)


def _fail(lines: list[str]) -> typer.Exit:
    for line in lines:
        typer.echo(f"alertfleet: {line}", err=True)
    return typer.Exit(2)


def _settings() -> FleetSettings:
    try:
        return get_settings()
    except SettingsError as exc:
        raise _fail(exc.problems) from None


def config_or_exit(settings: FleetSettings, path: Path | None = None) -> RoutingConfig:
    """The validated config, or one line per problem (naming its place in the file) and exit code 2."""
    try:
        return load_config(settings, path)
    except ConfigError as exc:
        raise _fail(exc.lines()) from None


def describe_destination(name: str, destination: DestinationSpec) -> str:
    return by_destination(destination).describe(name, destination)


def describe_route(route: Route) -> str:
    """One line: name, matchers and what the route (with inheritance) decides."""
    parts = [route.name if route.name == route.path else f"{route.name} ({route.path})"]
    if route.matchers:
        parts.append("{" + ", ".join(str(m) for m in route.matchers) + "}")
    if route.continue_:
        parts.append("continue")
    parts.append(f"investigate={route.investigate}")
    if route.investigate == "llm":
        parts.append(f"model={route.model}")
        parts += [f"max_steps={route.max_steps}"] if route.max_steps else []
        parts += [f"max_tokens={route.max_tokens}"] if route.max_tokens else []
        parts += [f"timeout={route.timeout:g}s"] if route.timeout else []
        parts += [f"toolsets=[{', '.join(route.toolsets)}]"] if route.toolsets is not None else []
    if route.investigate != "skip":
        parts.append(f"destinations=[{', '.join(route.destinations)}]")
    if route.group_by is not None:
        parts.append(f"group_by=[{', '.join(route.group_by)}]")
    return "  ".join(parts)


def describe_toolsets(config: RoutingConfig) -> list[str]:
    """The toolsets the settings turn on (file over environment), without contacting anything."""
    from alertfleet.toolset_config import effective_toolsets

    effective = effective_toolsets(get_settings(), config.toolsets, config.mcp_servers)
    lines = []
    for name in effective.configured():
        server = effective.mcp_servers.get(name)
        if server is not None:
            allowed = f", tools {', '.join(server.tools)}" if server.tools is not None else ""
            lines.append(f"{name} (MCP {server.url}{allowed}, timeout {server.timeout:g}s)")
        else:
            lines.append(f"{name} (from the {effective.origin.get(name, 'file')})")
    return lines


@config_app.command("check")
def check(
    file: Path | None = typer.Argument(None, help="The YAML file (default ALERTFLEET_CONFIG)."),
) -> None:
    """Validate a routing file and print the resolved tree (what every route inherits, filled in)."""
    config = config_or_exit(_settings(), file)
    typer.echo(f"{config.source}: OK")
    typer.echo("destinations:")
    for name, destination in config.destinations.items():
        typer.echo(f"  {describe_destination(name, destination)}")
    if not config.destinations:
        typer.echo("  (none)")
    toolsets = describe_toolsets(config)
    if toolsets:  # nothing configured: nothing to say (get_alert_group is always there)
        typer.echo("toolsets:")
        for line in toolsets:
            typer.echo(f"  {line}")
    typer.echo("routes:")
    for depth, route in config.route.walk():
        typer.echo("  " * (depth + 1) + describe_route(route))


@config_app.command("route")
def route(
    labels: str = typer.Option(..., "--labels", help="The alert's labels: 'alertname=X,severity=critical'."),
    config_file: Path | None = typer.Option(None, "--config", help="The YAML file (default ALERTFLEET_CONFIG)."),
    as_json: bool = typer.Option(False, "--json", help="Print the decision as JSON."),
) -> None:
    """Which routes an alert with these labels matches, how it is investigated, and where it goes."""
    try:
        label_set = parse_labels(labels)
    except MatcherError as exc:
        raise _fail([f"--labels: {exc}"]) from None
    config = config_or_exit(_settings(), config_file)
    event = Event(source="cli", title=label_set.get("alertname", "alert"), labels=label_set)
    decision = decide(config, event)
    if as_json:
        typer.echo(json.dumps(decision.model_dump(mode="json"), sort_keys=True))
        return
    for matched in match_routes(config.route, label_set):
        typer.echo(describe_route(matched))
    model = f" (model {decision.model})" if decision.model else ""
    typer.echo(f"investigate: {decision.investigate}{model}")
    names = [describe_destination(n, config.destinations[n]) for n in decision.destinations]
    typer.echo(f"destinations: {', '.join(names) if names else '(none)'}")
