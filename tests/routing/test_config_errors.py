"""Every config problem is one line naming its place in the file — at start-up, in `config check`, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from alertfleet.config import ConfigError
from tests.harness.processes import base_env
from tests.routing.conftest import config

GOOD_DESTINATIONS = """
destinations:
  oncall: {type: slack, channel: "#oncall"}
"""

CASES = [
    pytest.param(
        GOOD_DESTINATIONS
        + """
route:
  routes:
    - matchers: ['team="a"']
    - matchers: ['team="b"']
    - matchers: ['team="c"']
      destinations: [pagerduty-eu]
""",
        "route.routes[2].destinations[0]: unknown destination 'pagerduty-eu'",
        id="undefined-destination",
    ),
    pytest.param(
        GOOD_DESTINATIONS + "route:\n  routes:\n    - matchers: ['team=\"a\"']\n      contnue: true\n",
        "route.routes[0].contnue: unknown key",
        id="unknown-route-key",
    ),
    pytest.param(
        GOOD_DESTINATIONS + "route: {}\nroutes: []\n",
        "routes: unknown key",
        id="unknown-top-level-key",
    ),
    pytest.param(
        "destinations:\n  oncall: {type: slack, channel: '#oncall', chanel: '#oncall'}\nroute: {}\n",
        "destinations.oncall.chanel: unknown key",
        id="unknown-destination-key",
    ),
    pytest.param(
        "destinations:\n  oncall: {type: slack}\nroute: {}\n",
        "destinations.oncall.channel: missing required key",
        id="missing-destination-key",
    ),
    pytest.param(
        "destinations:\n  pd: {type: pagerdutyy}\nroute: {}\n",
        "destinations.pd: unknown destination type 'pagerdutyy' (one of slack, pagerduty, opsgenie, webhook, jira, github)",
        id="unknown-destination-type",
    ),
    pytest.param(
        "destinations:\n  pd: {type: pagerduty, mode: loud}\nroute: {}\n",
        "destinations.pd.mode: Input should be 'read-only', 'notes' or 'update'",
        id="bad-mode",
    ),
    pytest.param(
        GOOD_DESTINATIONS + "route:\n  routes:\n    - matchers: ['severity==\"critical\"']\n",
        "route.routes[0].matchers[0]: 'severity==\"critical\"': stray '\"' in an unquoted value",
        id="bad-matcher",
    ),
    pytest.param(
        GOOD_DESTINATIONS + "route:\n  routes:\n    - {}\n    - matchers: ['namespace=~\"pay(\"']\n",
        "route.routes[1].matchers[0]: invalid regex 'pay(' for namespace",
        id="bad-regex",
    ),
    pytest.param(
        GOOD_DESTINATIONS + "route:\n  routes:\n    - match_re: {namespace: 'pay('}\n",
        "route.routes[0].match_re.namespace: invalid regex 'pay('",
        id="bad-match-re",
    ),
    pytest.param(
        "destinations:\n  team-b: {type: slack, channel: '#b', token_env: TEAM_B_TOKEN}\nroute: {}\n",
        "destinations.team-b.token_env: environment variable TEAM_B_TOKEN is not set",
        id="missing-token-env",
    ),
    pytest.param(
        "destinations:\n  hook: {type: webhook, url: 'http://127.0.0.1:9/', headers: {Authorization: 'Bearer ${HOOK_TOKEN}'}}\n"
        "route: {}\n",
        "destinations.hook.headers.Authorization: environment variable HOOK_TOKEN is not set",
        id="missing-header-env",
    ),
    pytest.param(
        "destinations:\n  hook: {type: webhook, url: 'http://127.0.0.1:9/', secret_env: HOOK_KEY}\nroute: {}\n",
        "destinations.hook.secret_env: environment variable HOOK_KEY is not set",
        id="missing-secret-env",
    ),
    pytest.param(
        "destinations:\n  hook: {type: webhook, url: 'ftp://127.0.0.1/'}\nroute: {}\n",
        "destinations.hook.url: must be an http:// or https:// URL",
        id="bad-webhook-url",
    ),
    pytest.param(
        GOOD_DESTINATIONS + "route:\n  routes:\n    - investigate: llm\n",
        "route.routes[0].investigate: 'llm' needs a model: set model: here or on a parent route, or MODEL",
        id="llm-without-model",
    ),
    pytest.param(
        GOOD_DESTINATIONS + "route:\n  routes:\n    - investigate: deep\n",
        "route.routes[0].investigate: Input should be 'llm', 'enrich' or 'skip'",
        id="bad-investigate",
    ),
    pytest.param(
        GOOD_DESTINATIONS + "route:\n  matchers: ['team=\"a\"']\n",
        "route.matchers: the root route must not have matchers (it catches every alert)",
        id="root-matchers",
    ),
    pytest.param(
        GOOD_DESTINATIONS + "route:\n  routes:\n    - {name: a}\n    - {name: a}\n",
        "route.routes[1].name: route name 'a' is already used by route.routes[0]",
        id="duplicate-route-name",
    ),
    pytest.param(
        GOOD_DESTINATIONS + "route:\n  routes:\n    - max_steps: 0\n",
        "route.routes[0].max_steps: Input should be greater than or equal to 1",
        id="bad-number",
    ),
    pytest.param(
        GOOD_DESTINATIONS + "route:\n  routes:\n    - destinations: [oncall]\n    destinations: [oncall]\n",
        "line 7 column 5: invalid YAML: expected <block end>",
        id="yaml-syntax",
    ),
    pytest.param(
        GOOD_DESTINATIONS + "route:\n  destinations: [oncall]\n  destinations: []\n",
        "line 6 column 3: invalid YAML: duplicate key 'destinations'",
        id="duplicate-key",
    ),
    pytest.param("destinations: {}\n", "route: missing required key", id="no-route"),
    pytest.param("- route\n", "the file must be a mapping with a route: key, not a list", id="not-a-mapping"),
]


@pytest.mark.parametrize(("text", "line"), CASES)
def test_each_problem_is_one_line_naming_its_place(text: str, line: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config(text)
    assert len(caught.value.problems) == 1, caught.value.problems
    assert caught.value.problems[0].startswith(line), caught.value.problems[0]
    assert caught.value.lines() == [f"test.yaml: {caught.value.problems[0]}"]


def test_several_problems_are_several_lines() -> None:
    text = """
destinations:
  a: {type: slack, channel: '#a', token_env: A_TOKEN}
route:
  routes:
    - destinations: [nope]
    - destinations: [a, nope2]
"""
    with pytest.raises(ConfigError) as caught:
        config(text)
    assert caught.value.problems == [
        "route.routes[0].destinations[0]: unknown destination 'nope'",
        "route.routes[1].destinations[1]: unknown destination 'nope2'",
        "destinations.a.token_env: environment variable A_TOKEN is not set",
    ]


def test_secret_checks_use_settings_too() -> None:
    # SLACK_BOT_TOKEN given as a setting (not in the environment) is enough.
    parsed = config(GOOD_DESTINATIONS + "route: {}\n", environ={}, SLACK_BOT_TOKEN="xoxb-from-settings")
    assert list(parsed.destinations) == ["oncall"]
    with pytest.raises(ConfigError, match=r"destinations.oncall: slack needs SLACK_BOT_TOKEN"):
        config(GOOD_DESTINATIONS + "route: {}\n", environ={})


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alertfleet.cli", *args],
        env=base_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


BROKEN = """
destinations:
  oncall: {type: slack, channel: "#oncall", token_env: ONCALL_TOKEN}
route:
  destinations: [oncall]
  routes:
    - matchers: ['team="a"']
    - matchers: ['team="b"']
    - matchers: ['team="c"']
      destinations: [pagerduty-eu]
"""


def _assert_one_line_per_problem(done: subprocess.CompletedProcess[str], path: Path) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [
        f"alertfleet: {path}: route.routes[2].destinations[0]: unknown destination 'pagerduty-eu'",
        f"alertfleet: {path}: destinations.oncall.token_env: environment variable ONCALL_TOKEN is not set",
    ]


def test_config_check_prints_one_line_per_problem(tmp_path: Path) -> None:
    path = tmp_path / "alertfleet.yaml"
    path.write_text(BROKEN)
    _assert_one_line_per_problem(_run(["config", "check", str(path)]), path)
    # Without an argument the file comes from ALERTFLEET_CONFIG.
    _assert_one_line_per_problem(_run(["config", "check"], ALERTFLEET_CONFIG=str(path)), path)


@pytest.mark.parametrize("command", [["ingest"], ["worker"], ["dev"]])
def test_bad_config_stops_start_up(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "alertfleet.yaml"
    path.write_text(BROKEN)
    _assert_one_line_per_problem(_run(command, ALERTFLEET_CONFIG=str(path)), path)


def test_unreadable_yaml_stops_start_up_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "alertfleet.yaml"
    path.write_text("route:\n  routes: [\n")
    done = _run(["ingest"], ALERTFLEET_CONFIG=str(path))
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"alertfleet: {path}: line ") and "invalid YAML" in line
    assert "Traceback" not in done.stderr
