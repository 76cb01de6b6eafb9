"""Fan-out writes exactly what the route decided; a routed destination's options reach its writer."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from alertfleet.integration import NotConfigured as UnknownDestination
from alertfleet.models import Event, Investigation, RouteDecision, WriteTarget
from integrations.slack.writer import SlackWriter
from tests.routing.conftest import settings
from workers.destinations import build_writer, destinations_for, settings_for


def _investigation(route: RouteDecision | None, writeback: list[WriteTarget] | None = None) -> Investigation:
    event = Event(source="pagerduty", title="Payments down", writeback=writeback or [])
    return Investigation(id="inv-1", problem_key="pk", event=event, route=route)


def _decision(targets: list[WriteTarget], investigate: str = "llm") -> RouteDecision:
    return RouteDecision(routes=["route.routes[1]"], investigate=investigate, targets=targets)  # type: ignore[arg-type]


ENV = settings(SLACK_BOT_TOKEN="xoxb-env", SLACK_CHANNEL="#env-channel")


def test_the_route_replaces_the_environment_destinations() -> None:
    team = WriteTarget(type="slack", target="#team-a")
    assert destinations_for(_investigation(_decision([team])), ENV) == [team]
    assert destinations_for(_investigation(None), ENV) == [WriteTarget(type="slack", target="#env-channel")]


def test_a_skipped_investigation_writes_nowhere_not_even_back_to_its_source() -> None:
    incident = WriteTarget(type="pagerduty", target="PINC1")
    decision = _decision([WriteTarget(type="slack", target="#x")], investigate="skip")
    assert destinations_for(_investigation(decision, [incident]), ENV) == []


def test_a_routed_pagerduty_destination_says_how_to_write_back_to_the_incident() -> None:
    incident = WriteTarget(type="pagerduty", target="PINC1")
    routed = [
        WriteTarget(type="slack", target="#payments"),
        WriteTarget(type="pagerduty", target="", options={"mode": "update"}),
    ]
    targets = destinations_for(_investigation(_decision(routed), [incident]), ENV)
    assert [(t.type, t.target, t.options) for t in targets] == [
        ("slack", "#payments", {}),
        ("pagerduty", "PINC1", {"mode": "update"}),
    ]
    # No incident to write to (an Alertmanager alert): nothing is sent to PagerDuty.
    assert [t.type for t in destinations_for(_investigation(_decision(routed)), ENV)] == ["slack"]


def test_route_mode_read_only_suppresses_the_write_back() -> None:
    incident = WriteTarget(type="opsgenie", target="alert-1")
    routed = [WriteTarget(type="opsgenie", target="", options={"mode": "read-only"})]
    assert destinations_for(_investigation(_decision(routed), [incident]), ENV) == []
    # ... and without the route, the environment's mode (notes by default) applies.
    assert destinations_for(_investigation(_decision([]), [incident]), ENV) == [incident]


def test_token_env_names_the_variable_holding_the_slack_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAM_A_SLACK_TOKEN", "xoxb-team-a")
    writer = build_writer("slack", settings_for("slack", {"token_env": "TEAM_A_SLACK_TOKEN"}, ENV))
    assert isinstance(writer, SlackWriter)
    assert writer.client.token == "xoxb-team-a"
    assert build_writer("slack", settings_for("slack", {}, ENV)).client.token == "xoxb-env"  # type: ignore[attr-defined]
    monkeypatch.delenv("TEAM_A_SLACK_TOKEN")
    with pytest.raises(UnknownDestination, match="TEAM_A_SLACK_TOKEN is not set"):
        settings_for("slack", {"token_env": "TEAM_A_SLACK_TOKEN"}, ENV)


def test_mode_and_webhook_options_become_that_writers_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings_for("pagerduty", {"mode": "update"}, ENV).pagerduty_mode == "update"
    hooked = settings_for("webhook", {"url": "http://127.0.0.1:9/h", "headers": {"X-Team": "a"}}, ENV)
    assert hooked.webhook_url == "http://127.0.0.1:9/h"
    assert hooked.webhook_header_map() == {"X-Team": "a"}
    # A named webhook gets its own headers and signing key, never WEBHOOK_URL's.
    env_hook = settings(
        WEBHOOK_URL="http://127.0.0.1:9/env",
        WEBHOOK_HEADERS=SecretStr("Authorization: Bearer s"),
        WEBHOOK_SECRET=SecretStr("env-signing-key"),
    )
    named = settings_for("webhook", {"url": "http://127.0.0.1:9/h", "headers": {}, "secret_env": None}, env_hook)
    assert (named.webhook_headers, named.webhook_secret) == (None, None)
    monkeypatch.setenv("HOOK_SIGNING_KEY", "named-key")
    signed = settings_for("webhook", {"url": "http://127.0.0.1:9/h", "secret_env": "HOOK_SIGNING_KEY"}, env_hook)
    assert signed.webhook_secret is not None and signed.webhook_secret.get_secret_value() == "named-key"
    with pytest.raises(UnknownDestination, match="take no option 'colour'"):
        settings_for("slack", {"colour": "red"}, ENV)
