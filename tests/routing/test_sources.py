"""PagerDuty incidents and OpsGenie alerts are routed like Alertmanager groups, on their fields as labels."""

from __future__ import annotations

from alertfleet.models import Investigation
from alertfleet.routing import decide
from integrations.opsgenie.source import event_from_alert
from integrations.pagerduty.source import event_from_incident
from tests.routing.conftest import config, settings
from workers.destinations import destinations_for

ROUTES = """
destinations:
  payments: {type: slack, channel: "#payments"}
  pd-update: {type: pagerduty, mode: update}
  og-quiet: {type: opsgenie, mode: read-only}
route:
  investigate: enrich
  routes:
    - matchers: ['service="Payments API"', 'urgency="high"']
      destinations: [payments, pd-update]
    - matchers: ['tags=~"(.*,)?noisy(,.*)?"']
      investigate: skip
    - matchers: ['priority=~"P[12]"', 'teams=~"(.*,)?payments(,.*)?"']
      destinations: [payments, og-quiet]
"""


def test_a_pagerduty_incident_routes_on_service_and_urgency_and_the_route_says_how_to_write_back() -> None:
    incident = {
        "id": "PINC42",
        "title": "Checkout failing",
        "urgency": "high",
        "status": "triggered",
        "service": {"id": "PSVC1", "summary": "Payments API"},
    }
    event = event_from_incident(incident)
    decision = decide(config(ROUTES), event)
    assert (decision.routes, decision.destinations) == (["route.routes[0]"], ["payments", "pd-update"])
    investigation = Investigation(id="i", problem_key="pk", event=event, route=decision)
    targets = destinations_for(investigation, settings(SLACK_BOT_TOKEN="x"))
    assert [(t.type, t.target, t.options) for t in targets] == [
        ("slack", "#payments", {}),
        ("pagerduty", "PINC42", {"mode": "update"}),
    ]
    low = event_from_incident({**incident, "urgency": "low"})
    assert decide(config(ROUTES), low).routes == ["route"]


def test_an_opsgenie_alert_routes_on_priority_teams_and_tags() -> None:
    alert = {
        "id": "og-1",
        "message": "Payments p99 latency",
        "priority": "P1",
        "tags": ["payments", "latency"],
        "teams": [{"name": "payments"}],
    }
    event = event_from_alert(alert)
    decision = decide(config(ROUTES), event)
    assert decision.routes == ["route.routes[2]"]
    investigation = Investigation(id="i", problem_key="pk", event=event, route=decision)
    # The route's `mode: read-only` keeps alertfleet from writing back to this OpsGenie alert.
    targets = destinations_for(investigation, settings(SLACK_BOT_TOKEN="x"))
    assert [(t.type, t.target) for t in targets] == [("slack", "#payments")]
    noisy = event_from_alert({**alert, "tags": ["latency", "noisy"]})
    assert decide(config(ROUTES), noisy).investigate == "skip"
