"""The registry: every integration's settings validated as one, destinations and queues from it,
and a bad ALERTFLEET_INTEGRATIONS refused at start-up in one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from alertfleet import registry
from alertfleet.config_file import destination_types
from alertfleet.integration import Integration
from alertfleet.queue import all_queues
from alertfleet.settings import Settings, SettingsError, load_settings


def test_each_registry_line_names_an_integration_of_that_name() -> None:
    assert [integration.name for integration in registry.integrations()][: len(registry.INTEGRATIONS)] == list(
        registry.INTEGRATIONS
    )
    assert all(isinstance(integration, Integration) for integration in registry.integrations())


def test_settings_are_the_fleets_and_every_integrations_validated_together(monkeypatch: pytest.MonkeyPatch) -> None:
    for integration in registry.integrations():
        if integration.settings_model is not None:
            assert issubclass(Settings, integration.settings_model), integration.name
    monkeypatch.setenv("ALERTFLEET_PORT", "eighty")
    monkeypatch.setenv("OPSGENIE_MODE", "sometimes")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert [line.split(":")[0] for line in caught.value.problems] == [
        "invalid setting ALERTFLEET_PORT",
        "invalid setting OPSGENIE_MODE",
    ]


def test_destination_types_and_write_queues_come_from_the_registry() -> None:
    assert destination_types() == ["slack", "pagerduty", "opsgenie", "webhook", "jira", "github"]
    assert all_queues() == (
        "investigate",
        "chat",
        *(f"write.{name}" for name in ("slack", "pagerduty", "opsgenie", "webhook", "jira", "github")),
    )


def test_an_integration_that_cannot_be_loaded_stops_start_up_in_one_line() -> None:
    env = {"ALERTFLEET_INTEGRATIONS": "no_such_package.vendor:integration", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "alertfleet.cli", "config", "check"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "alertfleet: invalid setting ALERTFLEET_INTEGRATIONS: cannot load integration "
        "'no_such_package.vendor:integration': ModuleNotFoundError: No module named 'no_such_package'"
    ]
