"""Route matching as Alertmanager does it: dispatch/route_test.go's tables, with destinations as receivers."""

from __future__ import annotations

import pytest

from alertfleet.config import Route, RoutingConfig
from alertfleet.models import Event
from alertfleet.routing import decide, group_key, match_routes, routing_labels
from tests.routing.conftest import config

RECEIVERS = ["notify-def", "notify-A", "notify-testing", "notify-productionA", "notify-productionB", "notify-BC"]
DESTINATIONS = "destinations:\n" + "".join(f'  {r}: {{type: slack, channel: "#{r}"}}\n' for r in RECEIVERS)

# TestRouteMatchers (matchers: syntax, braces, negative matchers).
TREE_MATCHERS = """
route:
  destinations: [notify-def]
  routes:
  - matchers: ['{owner="team-A"}', '{level!="critical"}']
    destinations: [notify-A]
    routes:
    - matchers: ['{env="testing"}', '{baz!~".*quux"}']
      destinations: [notify-testing]
      group_by: [...]
    - matchers: ['{env="production"}']
      destinations: [notify-productionA]
      continue: true
    - matchers: [ env=~"produ.*", job=~".*"]
      destinations: [notify-productionB]
      group_by: ['job']
  - matchers: [owner=~"team-(B|C)"]
    group_by: ['foo', 'bar']
    destinations: [notify-BC]
  - matchers: [group_by="role"]
    group_by: ['role']
    routes:
    - matchers: ['{env="testing"}']
      destinations: [notify-testing]
      routes:
      - matchers: [wait="long"]
        max_steps: 2
"""

# TestRouteMatch (the legacy match: / match_re: maps), same tree.
TREE_LEGACY = """
route:
  destinations: [notify-def]
  routes:
  - match: {owner: team-A}
    destinations: [notify-A]
    routes:
    - match: {env: testing}
      destinations: [notify-testing]
      group_by: [...]
    - match: {env: production}
      destinations: [notify-productionA]
      continue: true
    - match_re: {env: "produ.*", job: ".*"}
      destinations: [notify-productionB]
      group_by: ['job']
  - match_re: {owner: 'team-(B|C)'}
    group_by: ['foo', 'bar']
    destinations: [notify-BC]
  - match: {group_by: role}
    group_by: ['role']
    routes:
    - match: {env: testing}
      destinations: [notify-testing]
      routes:
      - match: {wait: long}
        max_steps: 2
"""

# (labels, [(route path, destinations, group_by, max_steps)]) — the expectations of route_test.go.
CASES: list[tuple[dict[str, str], list[tuple[str, tuple[str, ...], tuple[str, ...] | None, int | None]]]] = [
    ({"owner": "team-A"}, [("route.routes[0]", ("notify-A",), None, None)]),
    ({"owner": "team-A", "env": "unset"}, [("route.routes[0]", ("notify-A",), None, None)]),
    ({"owner": "team-C"}, [("route.routes[1]", ("notify-BC",), ("foo", "bar"), None)]),
    ({"owner": "team-A", "env": "testing"}, [("route.routes[0].routes[0]", ("notify-testing",), ("...",), None)]),
    (
        {"owner": "team-A", "env": "production"},
        [
            ("route.routes[0].routes[1]", ("notify-productionA",), None, None),
            ("route.routes[0].routes[2]", ("notify-productionB",), ("job",), None),
        ],
    ),
    ({"group_by": "role"}, [("route.routes[2]", ("notify-def",), ("role",), None)]),
    ({"env": "testing", "group_by": "role"}, [("route.routes[2].routes[0]", ("notify-testing",), ("role",), None)]),
    (
        {"env": "testing", "group_by": "role", "wait": "long"},
        [("route.routes[2].routes[0].routes[0]", ("notify-testing",), ("role",), 2)],
    ),
]


def _summary(routes: list[Route]) -> list[tuple[str, tuple[str, ...], tuple[str, ...] | None, int | None]]:
    return [(r.path, r.destinations, r.group_by, r.max_steps) for r in routes]


@pytest.mark.parametrize("tree", [TREE_MATCHERS, TREE_LEGACY], ids=["matchers", "match-maps"])
@pytest.mark.parametrize(("labels", "expected"), CASES)
def test_alertmanager_route_table(tree: str, labels: dict[str, str], expected: list[tuple[object, ...]]) -> None:
    routing = config(DESTINATIONS + tree)
    assert _summary(match_routes(routing.route, labels)) == expected


def test_negative_matcher_on_a_parent_stops_its_whole_subtree() -> None:
    routing = config(DESTINATIONS + TREE_MATCHERS)
    matched = match_routes(routing.route, {"owner": "team-A", "level": "critical", "env": "production"})
    assert _summary(matched) == [("route", ("notify-def",), None, None)]


def test_walk_order_is_alertmanagers() -> None:
    routing = config(DESTINATIONS + TREE_MATCHERS)
    walked = [route.destinations[0] for _depth, route in routing.route.walk()]
    assert walked == [
        "notify-def",
        "notify-A",
        "notify-testing",
        "notify-productionA",
        "notify-productionB",
        "notify-BC",
        "notify-def",
        "notify-testing",
        "notify-testing",
    ]


def test_children_inherit_group_by_all_unless_they_set_their_own() -> None:
    routing = config(
        DESTINATIONS
        + """
route:
  routes:
  - match: {env: parent}
    group_by: ['...']
    routes:
    - match: {env: child1}
    - match: {env: child2}
      group_by: ['foo']
"""
    )
    parent = routing.route.routes[0]
    assert parent.group_by == ("...",)
    assert parent.routes[0].group_by == ("...",)
    assert parent.routes[1].group_by == ("foo",)


def test_first_matching_child_wins_without_continue() -> None:
    routing = config(
        DESTINATIONS
        + """
route:
  destinations: [notify-def]
  routes:
  - matchers: ['severity="critical"']
    destinations: [notify-A]
  - matchers: ['team="b"']
    destinations: [notify-BC]
"""
    )
    assert [r.path for r in match_routes(routing.route, {"severity": "critical", "team": "b"})] == ["route.routes[0]"]
    assert [r.path for r in match_routes(routing.route, {"team": "b"})] == ["route.routes[1]"]
    assert [r.path for r in match_routes(routing.route, {"team": "c"})] == ["route"]


ISSUE_EXAMPLE = """
models:
  fast: openai/gpt-4.1-mini
destinations:
  team-a:   {type: slack, channel: "#team-a"}
  oncall:   {type: slack, channel: "#oncall"}
  pd-notes: {type: pagerduty, mode: notes}
route:
  investigate: llm
  model: fast
  destinations: [oncall]
  routes:
    - matchers: ['alertname=~"Watchdog|InfoInhibitor"']
      investigate: skip
    - matchers: ['team="a"', 'severity="critical"']
      destinations: [team-a, pd-notes]
      continue: false
    - matchers: ['env="dev"']
      investigate: enrich
"""


def _event(**labels: str) -> Event:
    return Event(source="alertmanager", title=labels.get("alertname", "A"), labels=labels)


@pytest.fixture
def example() -> RoutingConfig:
    return config(ISSUE_EXAMPLE)


@pytest.mark.parametrize(
    ("labels", "routes", "investigate", "model", "destinations"),
    [
        ({"alertname": "Watchdog"}, ["route.routes[0]"], "skip", None, []),
        ({"alertname": "InfoInhibitor", "team": "a"}, ["route.routes[0]"], "skip", None, []),
        (
            {"alertname": "X", "team": "a", "severity": "critical"},
            ["route.routes[1]"],
            "llm",
            "openai/gpt-4.1-mini",
            ["team-a", "pd-notes"],
        ),
        ({"alertname": "X", "team": "a", "severity": "warning"}, ["route"], "llm", "openai/gpt-4.1-mini", ["oncall"]),
        ({"alertname": "X", "env": "dev"}, ["route.routes[2]"], "enrich", None, ["oncall"]),
        ({"alertname": "X", "env": "development"}, ["route"], "llm", "openai/gpt-4.1-mini", ["oncall"]),
    ],
)
def test_issue_example_decisions(
    example: RoutingConfig,
    labels: dict[str, str],
    routes: list[str],
    investigate: str,
    model: str | None,
    destinations: list[str],
) -> None:
    decision = decide(example, _event(**labels))
    assert (decision.routes, decision.investigate, decision.model, decision.destinations) == (
        routes,
        investigate,
        model,
        destinations,
    )


def test_destinations_become_write_targets_with_their_options(example: RoutingConfig) -> None:
    decision = decide(example, _event(alertname="X", team="a", severity="critical"))
    assert [(t.type, t.target, t.options) for t in decision.targets] == [
        ("slack", "#team-a", {}),
        ("pagerduty", "", {"mode": "notes"}),  # no target: the source's incident, when there is one
    ]


def test_continue_sends_to_every_matched_route_and_investigates_most_thoroughly() -> None:
    routing = config(
        """
models: {big: openai/big, small: openai/small}
destinations:
  audit: {type: webhook, url: "http://127.0.0.1:9/audit", headers: {X-Team: audit}}
  team: {type: slack, channel: "#team", token_env: TEAM_TOKEN}
  muted: {type: slack, channel: "#muted"}
route:
  investigate: enrich
  routes:
    - matchers: ['namespace=~"pay.*"']
      destinations: [audit]
      continue: true
    - matchers: ['alertname="Noise"']
      investigate: skip
      destinations: [muted]
      continue: true
    - matchers: ['severity="critical"']
      investigate: llm
      model: small
      max_steps: 3
      timeout: 30s
      destinations: [team]
      routes:
        - matchers: ['namespace="payments"']
          model: big
""",
        environ={"TEAM_TOKEN": "xoxb-team", "SLACK_BOT_TOKEN": "xoxb"},
    )
    decision = decide(routing, _event(alertname="Noise", namespace="payments", severity="critical"))
    assert decision.routes == ["route.routes[0]", "route.routes[1]", "route.routes[2].routes[0]"]
    # The most thorough mode wins, with the settings of the route asking for it (inherited, then overridden).
    assert (decision.investigate, decision.model, decision.max_steps, decision.timeout) == ("llm", "openai/big", 3, 30)
    assert decision.destinations == ["audit", "team"]  # the skipping route writes nothing
    assert [(t.type, t.target, t.options) for t in decision.targets] == [
        # only names travel: the worker resolves the headers of destination `audit` itself
        ("webhook", "http://127.0.0.1:9/audit", {"url": "http://127.0.0.1:9/audit", "destination": "audit"}),
        ("slack", "#team", {"token_env": "TEAM_TOKEN"}),
    ]
    skipped = decide(routing, _event(alertname="Noise", namespace="kube-system"))
    assert (skipped.routes, skipped.investigate, skipped.destinations) == (["route.routes[1]"], "skip", [])


def test_group_labels_take_part_in_matching() -> None:
    event = Event(source="alertmanager", title="A", labels={"alertname": "A"}, context={"groupLabels": {"team": "a"}})
    assert routing_labels(event) == {"team": "a", "alertname": "A"}


def test_group_by_sets_the_problem_key_from_the_listed_labels() -> None:
    routing = config(
        """
destinations: {}
route:
  group_by: [team]
  routes:
    - matchers: ['env="dev"']
      group_by: ['...']
"""
    )
    first = group_key(routing, _event(alertname="A", team="a", pod="p1"))
    assert first == group_key(routing, _event(alertname="B", team="a", pod="p2"))
    assert first != group_key(routing, _event(alertname="A", team="b"))
    everything = group_key(routing, _event(alertname="A", env="dev"))
    assert everything != group_key(routing, _event(alertname="B", env="dev"))
    assert group_key(config("route: {}"), _event(alertname="A")) is None  # Alertmanager's groupKey stays


def test_group_by_comes_from_the_route_that_decides_not_a_continue_side_route() -> None:
    routing = config(
        """
destinations: {}
route:
  routes:
    - matchers: ['namespace=~"pay.*"']
      continue: true
    - matchers: ['team="payments"']
      group_by: [team]
"""
    )
    key = group_key(routing, _event(alertname="A", team="payments", namespace="payments"))
    assert key == group_key(routing, _event(alertname="B", team="payments", namespace="payments-eu"))
    assert key is not None and key.startswith("route.routes[1]:")
