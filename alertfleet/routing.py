"""Route evaluation, exactly as Alertmanager walks its tree, and the decision an investigation keeps.

Depth-first: a route matches when its matchers do; its children are tried in order and the first
matching child ends the search unless that child has `continue: true`; a route none of whose children
match is itself the match. Settings were already inherited when the tree was built (alertfleet.config).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from alertfleet.config import GROUP_BY_ALL, DestinationSpec, Route, RoutingConfig
from alertfleet.matchers import matches_all
from alertfleet.models import Event, RouteDecision, WriteTarget
from alertfleet.registry import by_destination

# An alert is investigated once: the most thorough mode any matched route asks for wins; among equals,
# the route where matching ended (earlier matches were `continue: true` side routes, e.g. an audit copy).
_THOROUGHNESS = {"skip": 0, "enrich": 1, "llm": 2}


def match_routes(route: Route, labels: Mapping[str, str]) -> list[Route]:
    """Alertmanager's `Route.Match`: the routes an alert with these labels is sent to, in tree order."""
    if not matches_all(route.matchers, labels):
        return []
    found: list[Route] = []
    for child in route.routes:
        matched = match_routes(child, labels)
        found.extend(matched)
        if matched and not child.continue_:
            break
    return found or [route]


def routing_labels(event: Event) -> dict[str, str]:
    """What routes match on: the group's labels, then the labels all its alerts share (or a source's fields)."""
    group = event.context.get("groupLabels")
    labels = {str(k): str(v) for k, v in group.items()} if isinstance(group, dict) else {}
    labels.update(event.labels)
    return labels


def decide(config: RoutingConfig, event: Event) -> RouteDecision:
    """One decision for the event: how to investigate (the most thorough matched route) and where to write
    (the destinations of every matched route that does not skip)."""
    matched = match_routes(config.route, routing_labels(event))
    lead = lead_route(matched)
    writing = [route for route in matched if route.investigate != "skip"]
    names = list(dict.fromkeys(name for route in writing for name in route.destinations))
    targets = [write_target(config.destinations[name], name) for name in names]
    llm = lead.investigate == "llm"
    return RouteDecision(
        routes=[route.name for route in matched],
        investigate=lead.investigate,
        model=lead.model if llm else None,
        max_steps=lead.max_steps if llm else None,
        max_tokens=lead.max_tokens if llm else None,
        timeout=lead.timeout if llm else None,
        destinations=names,
        targets=list(dict.fromkeys(targets)),
        toolsets=list(lead.toolsets) if llm and lead.toolsets is not None else None,
    )


def lead_route(matched: list[Route]) -> Route:
    """The matched route whose settings the investigation uses: the most thorough, the last among equals."""
    return max(reversed(matched), key=lambda route: _THOROUGHNESS[route.investigate])


def write_target(destination: DestinationSpec, name: str = "") -> WriteTarget:
    """A named destination as the write task needs it: vendor, target, and options for the writer.
    An empty target writes on the incident or alert the event came from (its write-back target, which
    may join later when the incident correlates); the route then only says how. Options only name
    things (variables, the destination): no header value or secret travels in a task."""
    return by_destination(destination).write_target(destination, name)


def group_key(config: RoutingConfig, event: Event) -> str | None:
    """The problem's group key when the matched route sets `group_by`; None keeps the source's own
    (Alertmanager's groupKey). `group_by: ['...']` groups by every label."""
    labels = routing_labels(event)
    route = lead_route(match_routes(config.route, labels))
    if route.group_by is None:
        return None
    names = sorted(labels) if GROUP_BY_ALL in route.group_by else sorted(set(route.group_by))
    pairs = ",".join(f"{name}={json.dumps(labels.get(name, ''))}" for name in names)
    return f"{route.path}:{{{pairs}}}"
