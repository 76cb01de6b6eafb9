"""`python -m tests.stubs.serve`, the Compose demo's Slack and model: reachable with the credentials Compose gives."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import yaml
from slack_sdk import WebClient

from tests.harness.processes import base_env, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_stubs_serve_slack_and_the_model_with_composes_credentials(tmp_path: Path) -> None:
    env = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["x-alertfleet"]["environment"]

    def demo_default(name: str) -> str:
        return str(env[name]).split("-", 1)[1].rstrip("}")  # ${NAME-default}

    slack_port, model_port = free_port(), free_port()
    log = tmp_path / "stubs.log"
    with log.open("wb") as out:
        stubs = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.stubs.serve",
                "--host",
                "127.0.0.1",
                "--slack-port",
                str(slack_port),
                "--model-port",
                str(model_port),
            ],
            cwd=ROOT,
            env=base_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_for(lambda: "stubs_ready" in log.read_text(), 30, 0.1), log.read_text()
        slack = WebClient(token=demo_default("SLACK_BOT_TOKEN"), base_url=f"http://127.0.0.1:{slack_port}/api/")
        assert slack.auth_test()["ok"]
        slack.chat_postMessage(channel=demo_default("SLACK_CHANNEL"), text="demo investigation")
        answer = httpx.post(
            f"http://127.0.0.1:{model_port}/v1/chat/completions",
            headers={"Authorization": f"Bearer {demo_default('OPENAI_API_KEY')}"},
            json={"model": "demo-model", "messages": [{"role": "user", "content": "alertname=Demo"}]},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["choices"][0]["message"]
        assert wait_for(lambda: '"slack_message"' in log.read_text(), 10, 0.1)
    finally:
        stubs.terminate()
        stubs.wait(timeout=10)
    posted = [json.loads(line) for line in log.read_text().splitlines() if '"slack_message"' in line]
    assert posted[0]["message"]["text"] == "demo investigation"
