"""`alertfleet config check` prints the resolved tree; `alertfleet config route` is amtool's `config routes test`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.processes import base_env
from tests.routing.test_tree import ISSUE_EXAMPLE

SECRETS = {"SLACK_BOT_TOKEN": "xoxb-cli-test", "PAGERDUTY_API_KEY": "pd-key", "PAGERDUTY_USER_EMAIL": "bot@example.com"}


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alertfleet.cli", *args],
        env=base_env(**SECRETS, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def example_file(tmp_path: Path) -> Path:
    path = tmp_path / "alertfleet.yaml"
    path.write_text(ISSUE_EXAMPLE)
    return path


def test_check_prints_the_resolved_tree(example_file: Path) -> None:
    done = _run(["config", "check", str(example_file)])
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"{example_file}: OK",
        "destinations:",
        "  team-a (slack #team-a)",
        "  oncall (slack #oncall)",
        "  pd-notes (pagerduty, mode notes)",
        "routes:",
        "  route  investigate=llm  model=openai/gpt-4.1-mini  destinations=[oncall]",
        '    route.routes[0]  {alertname=~"Watchdog|InfoInhibitor"}  investigate=skip',
        '    route.routes[1]  {team="a", severity="critical"}  investigate=llm  model=openai/gpt-4.1-mini'
        "  destinations=[team-a, pd-notes]",
        '    route.routes[2]  {env="dev"}  investigate=enrich  destinations=[oncall]',
    ]


def test_check_without_a_file_shows_the_environments_default_route() -> None:
    done = _run(["config", "check"], SLACK_CHANNEL="#alerts", MODEL="openai/gpt-4.1-mini")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "environment: OK"
    assert "  default (route)  investigate=llm  model=openai/gpt-4.1-mini  destinations=[slack]" in done.stdout
    assert "  slack (slack #alerts)" in done.stdout


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (
            "alertname=PaymentsDown,severity=critical,team=a",
            [
                'route.routes[1]  {team="a", severity="critical"}  investigate=llm  model=openai/gpt-4.1-mini'
                "  destinations=[team-a, pd-notes]",
                "investigate: llm (model openai/gpt-4.1-mini)",
                "destinations: team-a (slack #team-a), pd-notes (pagerduty, mode notes)",
            ],
        ),
        (
            "alertname=Watchdog",
            [
                'route.routes[0]  {alertname=~"Watchdog|InfoInhibitor"}  investigate=skip',
                "investigate: skip",
                "destinations: (none)",
            ],
        ),
        (
            'alertname=X,env="dev"',
            [
                'route.routes[2]  {env="dev"}  investigate=enrich  destinations=[oncall]',
                "investigate: enrich",
                "destinations: oncall (slack #oncall)",
            ],
        ),
    ],
)
def test_route_says_where_an_alert_goes(example_file: Path, labels: str, expected: list[str]) -> None:
    done = _run(["config", "route", "--labels", labels, "--config", str(example_file)])
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == expected


def test_route_reads_alertfleet_config_and_prints_json(example_file: Path) -> None:
    done = _run(["config", "route", "--labels", "alertname=X", "--json"], ALERTFLEET_CONFIG=str(example_file))
    assert done.returncode == 0, done.stderr
    decision = json.loads(done.stdout)
    assert decision["routes"] == ["route"]
    assert decision["destinations"] == ["oncall"]
    assert decision["targets"] == [{"type": "slack", "target": "#oncall", "options": {}}]


def test_route_refuses_bad_labels_in_one_line(example_file: Path) -> None:
    done = _run(["config", "route", "--labels", 'alertname=~"X"', "--config", str(example_file)])
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        'alertfleet: --labels: alertname=~"X": labels are name=value, not a =~ matcher'
    ]
