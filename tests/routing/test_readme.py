"""The README's routing example is a valid file and routes as the README says."""

from __future__ import annotations

import re
from pathlib import Path

from alertfleet.models import Event
from alertfleet.routing import decide
from tests.routing.conftest import SECRETS, config

README = Path(__file__).resolve().parents[2] / "README.md"
ENV = {
    **SECRETS,
    "PAYMENTS_SLACK_TOKEN": "xoxb-payments",
    "OPSGENIE_PAYMENTS_KEY": "og",
    "AUDIT_TOKEN": "t",
    "AUDIT_SIGNING_KEY": "k",
}


def _routing_example() -> str:
    section = README.read_text().split("\n## Routing\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert found is not None, "the Routing section has a YAML example"
    return found.group(1)


def test_the_readme_example_routes_as_documented() -> None:
    routing = config(_routing_example(), environ=ENV)
    labels = {"alertname": "CheckoutErrors", "team": "payments", "severity": "critical", "namespace": "payments"}
    decision = decide(routing, Event(source="alertmanager", title="CheckoutErrors", labels=labels))
    assert decision.routes == ["audit", "payments"]
    assert (decision.investigate, decision.model) == ("llm", "anthropic/claude-sonnet-4-5")
    assert decision.destinations == ["audit", "payments", "pd-notes", "og-update"]
    watchdog = decide(routing, Event(source="alertmanager", title="W", labels={"alertname": "Watchdog"}))
    assert (watchdog.routes, watchdog.investigate) == (["silenced"], "skip")
    staging = decide(routing, Event(source="alertmanager", title="S", labels={"alertname": "S", "env": "dev"}))
    assert (staging.routes, staging.investigate, staging.destinations) == (["staging"], "enrich", ["oncall"])
