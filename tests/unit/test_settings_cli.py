"""A bad setting stops start-up with one readable line naming it, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.harness.processes import base_env


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"ALERTFLEET_PORT": "eighty"}, "ALERTFLEET_PORT"),
        ({"ALERTFLEET_PORT": "70000"}, "ALERTFLEET_PORT"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"SLACK_API_URL": "ftp://x"}, "SLACK_API_URL"),
        ({"ALERTFLEET_CONFIG": "/nonexistent/alertfleet.yaml"}, "ALERTFLEET_CONFIG"),
        ({"ALERTFLEET_INGEST_TOKEN": ""}, "ALERTFLEET_INGEST_TOKEN"),
        ({"ALERTFLEET_INGEST_TOKEN": "   "}, "ALERTFLEET_INGEST_TOKEN"),
        ({"WEBHOOK_HEADERS": "Authorization: Bearer x"}, "WEBHOOK_HEADERS"),
        ({"WEBHOOK_SECRET": "signing-key"}, "WEBHOOK_SECRET"),
    ],
)
def test_bad_setting_is_one_line(env: dict[str, str], name: str) -> None:
    for command in (["ingest"], ["worker"], ["dev"]):
        done = subprocess.run(
            [sys.executable, "-m", "alertfleet.cli", *command],
            env=base_env(**env),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert name in lines[0] and lines[0].startswith("alertfleet: invalid setting")
        assert "Traceback" not in done.stderr + done.stdout
