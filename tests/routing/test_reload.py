"""Reload without restart: a changed file or SIGHUP brings a new config; a bad one is refused and the old stays."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from alertfleet.config_watch import ConfigHolder, install_sighup
from alertfleet.models import Event
from alertfleet.routing import decide
from integrations.slack.settings import SlackDestination
from tests.harness.processes import wait_for
from tests.routing.conftest import settings

TEMPLATE = """
destinations:
  oncall: {{type: slack, channel: "{channel}"}}
route:
  destinations: [oncall]
"""
BROKEN = TEMPLATE.format(channel="#x") + "  routes:\n    - destinations: [pagerduty-eu]\n"


def _channel(holder: ConfigHolder) -> str:
    decision = decide(holder.current(), Event(source="test", title="A", labels={"alertname": "A"}))
    return decision.targets[0].target


def _write_same_stat(path: Path, text: str) -> None:
    """Replace the content in place keeping inode, size and mtime: only a SIGHUP can reveal the change."""
    before = path.stat()
    assert len(text.encode()) == before.st_size
    with path.open("r+") as handle:
        handle.write(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "alertfleet.yaml"
    path.write_text(TEMPLATE.format(channel="#one"))
    return path


@pytest.fixture
def holder(config_file: Path) -> Iterator[ConfigHolder]:
    holder = ConfigHolder(settings(SLACK_BOT_TOKEN="xoxb-reload", ALERTFLEET_CONFIG=str(config_file)))
    yield holder
    holder.stop()


@pytest.fixture
def restore_sighup() -> Iterator[None]:
    previous = signal.getsignal(signal.SIGHUP)
    yield
    signal.signal(signal.SIGHUP, previous)


def _events(logs: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry["event"] == name]


def test_changed_file_is_used_by_the_next_alert(holder: ConfigHolder, config_file: Path) -> None:
    assert _channel(holder) == "#one"
    config_file.write_text(TEMPLATE.format(channel="#second"))
    with capture_logs() as logs:
        assert _channel(holder) == "#second"
    assert [e["reason"] for e in _events(logs, "config_reloaded")] == ["file-changed"]


def test_configmap_style_symlink_swap_is_seen(tmp_path: Path) -> None:
    # Kubernetes mounts a ConfigMap key as a symlink into a `..data` directory it swaps atomically.
    for version, channel in (("v1", "#one"), ("v2", "#two")):
        (tmp_path / version).mkdir()
        (tmp_path / version / "alertfleet.yaml").write_text(TEMPLATE.format(channel=channel))
    (tmp_path / "..data").symlink_to("v1")
    (tmp_path / "alertfleet.yaml").symlink_to("..data/alertfleet.yaml")
    holder = ConfigHolder(settings(SLACK_BOT_TOKEN="x", ALERTFLEET_CONFIG=str(tmp_path / "alertfleet.yaml")))
    assert _channel(holder) == "#one"
    (tmp_path / "..data_tmp").symlink_to("v2")
    os.replace(tmp_path / "..data_tmp", tmp_path / "..data")
    assert _channel(holder) == "#two"


def test_bad_file_is_refused_with_a_log_line_and_the_old_config_stays(holder: ConfigHolder, config_file: Path) -> None:
    config_file.write_text(BROKEN)
    with capture_logs() as logs:
        assert _channel(holder) == "#one"
        assert _channel(holder) == "#one"  # the same bad file is not re-read, nor logged again
    (rejected,) = _events(logs, "config_rejected")
    assert rejected["log_level"] == "error"
    assert rejected["problems"] == ["route.routes[0].destinations[0]: unknown destination 'pagerduty-eu'"]
    assert rejected["file"] == str(config_file)
    config_file.write_text(TEMPLATE.format(channel="#fixed"))
    assert _channel(holder) == "#fixed"


def test_deleted_file_keeps_the_old_config(holder: ConfigHolder, config_file: Path) -> None:
    config_file.unlink()
    with capture_logs() as logs:
        assert _channel(holder) == "#one"
    assert len(_events(logs, "config_rejected")) == 1


@pytest.mark.usefixtures("restore_sighup")
def test_sighup_reloads_a_change_the_file_stat_does_not_show(holder: ConfigHolder, config_file: Path) -> None:
    assert install_sighup(holder.request_reload)
    _write_same_stat(config_file, TEMPLATE.format(channel="#two"))
    assert _channel(holder) == "#one", "same inode, size and mtime: not noticed without a signal"
    with capture_logs() as logs:
        os.kill(os.getpid(), signal.SIGHUP)
        assert _channel(holder) == "#two"
    assert [e["reason"] for e in _events(logs, "config_reloaded")] == ["sighup"]


@pytest.mark.usefixtures("restore_sighup")
def test_sighup_with_a_bad_file_keeps_the_old_config(holder: ConfigHolder, config_file: Path) -> None:
    install_sighup(holder.request_reload)
    broken = TEMPLATE.format(channel="#one").replace("[oncall]", "[oncalX]")
    _write_same_stat(config_file, broken)
    with capture_logs() as logs:
        os.kill(os.getpid(), signal.SIGHUP)
        assert _channel(holder) == "#one"
    (rejected,) = _events(logs, "config_rejected")
    assert rejected["problems"] == ["route.destinations[0]: unknown destination 'oncalX'"]


def test_requested_reload_of_an_unchanged_file_says_so(holder: ConfigHolder) -> None:
    with capture_logs() as logs:
        holder.request_reload()
        assert _channel(holder) == "#one"
    assert [e["reason"] for e in _events(logs, "config_unchanged")] == ["sighup"]


def test_watcher_logs_a_refused_file_without_any_alert(config_file: Path) -> None:
    holder = ConfigHolder(settings(SLACK_BOT_TOKEN="x", ALERTFLEET_CONFIG=str(config_file)), poll_interval=0.05)
    with capture_logs() as logs:
        holder.start_watching()
        try:
            config_file.write_text(BROKEN)
            assert wait_for(lambda: bool(_events(logs, "config_rejected")), 5)
            config_file.write_text(TEMPLATE.format(channel="#watched"))
            assert wait_for(lambda: bool(_events(logs, "config_reloaded")), 5)
        finally:
            holder.stop()
    assert holder.config.destinations["oncall"] == SlackDestination(type="slack", channel="#watched")


def test_without_a_file_the_environment_route_never_reloads() -> None:
    holder = ConfigHolder(settings(SLACK_BOT_TOKEN="x", SLACK_CHANNEL="#env"))
    holder.request_reload()
    assert not holder.refresh()
    assert _channel(holder) == "#env"
