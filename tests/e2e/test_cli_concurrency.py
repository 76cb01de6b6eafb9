"""`alertfleet investigate alertmanager --concurrency N`: groups at once, results in Alertmanager's order."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx

from tests.harness.alertmanager import Alertmanager
from tests.harness.processes import base_env
from tests.stubs.model import Messages, ModelStub, Tools, message_text

GROUPS = 5


class FirstGroupLast(ModelStub):
    """Holds every call about the first group until another group's answer has gone out, so the first
    group finishes after another one: printing in order is then the CLI's doing, not luck."""

    def __init__(self, first: str) -> None:
        super().__init__(api_key="sk-test")
        self.first = first
        self.other_answered = threading.Event()
        self.responder = self._reply

    def _reply(self, messages: Messages, tools: Tools) -> dict[str, Any]:
        if any(self.first in message_text(m) for m in messages):
            self.other_answered.wait(60)
        reply = self.default_reply(messages, tools)
        if "tool_calls" not in reply and not any(self.first in message_text(m) for m in messages):
            self.other_answered.set()
        return reply


def test_concurrency_runs_groups_at_once_and_prints_them_in_order(tmp_path: Path) -> None:
    am = Alertmanager("http://127.0.0.1:9/unused", "unused", tmp_path).start()
    try:
        for n in range(GROUPS):
            am.post_alerts(f"Parallel{n}", ["node-1"])
        groups = httpx.get(am.url + "/api/v2/alerts/groups", timeout=5).json()
        order = [g["labels"]["alertname"] for g in groups]
        assert sorted(order) == sorted(f"Parallel{n}" for n in range(GROUPS))
        with FirstGroupLast(order[0]) as model:
            env = base_env(MODEL="openai/stub-model", OPENAI_API_BASE=model.api_base, OPENAI_API_KEY="sk-test")
            done = subprocess.run(
                [sys.executable, "-m", "alertfleet.cli", "investigate", "alertmanager",
                 "--alertmanager-url", am.url, "--concurrency", "3"],
                env=env, capture_output=True, text=True, timeout=180,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            assert 1 < model.max_in_flight <= 3, "groups ran at once, never more than --concurrency"
            assert model.other_answered.is_set()
            assert model.violations == []
        printed = re.findall(r"## (Parallel\d)\b", done.stdout)  # litellm may print to stdout too
        assert printed == order, f"results come out in Alertmanager's order, whichever finished first:\n{done.stdout}"
    finally:
        am.stop()
