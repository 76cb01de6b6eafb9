"""HolmesGPT 0.45 vs alertfleet, side by side, against one slow model: N alerts in N Alertmanager groups.

1. `holmes investigate alertmanager` (installed from PyPI into bench/.venv-holmes, git-ignored),
2. `alertfleet investigate alertmanager` (--concurrency 8, the default),
3. the fleet: `alertfleet dev`, a second real Alertmanager posting to its webhook.

The model is the OpenAI-compatible stub (tests/stubs/model.py) holding every call 2 s; it asks for one
tool call, then answers (2 calls an investigation). Every URL is 127.0.0.1, every key a dummy. Reports
the wall time until every result exists, the model calls, and the ratios; the completion times feed
the plot in bench/README.md (bench/plot.py).

    python -m bench.vs_holmesgpt [--alerts 30] [--model-seconds 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import redis

from bench.procs import RedisServer, free_port
from bench.report import save
from tests.harness.alertmanager import Alertmanager
from tests.harness.processes import base_env, wait_for
from tests.stubs.model import Messages, ModelStub, Tools
from tests.stubs.slack import SlackStub

HOLMES_VERSION = "0.45.0"
HOLMES_LABEL = f"HolmesGPT {HOLMES_VERSION} holmes investigate alertmanager"
HOLMES_VENV = Path(__file__).parent / ".venv-holmes"
MODEL = "openai/bench-model"
API_KEY = "sk-bench-dummy"
SLACK_TOKEN = "xoxb-bench-dummy"
INGEST_TOKEN = "bench-ingest-token"
DEAD_END = "http://127.0.0.1:9"  # nothing listens: anything holmes would send outside goes nowhere
# One harmless local tool for holmes, as alertfleet's model has one (the alert group's labels).
HOLMES_TOOLSET = """toolsets:
  bench/alert:
    description: "The alert under investigation (there is no cluster in this benchmark)"
    enabled: true
    tools:
      - name: "alert_context"
        description: "Context of the alert under investigation"
        command: "echo 'no cluster in this benchmark: the alert labels are all there is'"
"""


class TimedModel(ModelStub):
    """The 2 s model stub, noting when it gave each final answer (an investigation's end)."""

    def __init__(self, seconds: float, api_key: str = API_KEY) -> None:
        super().__init__(api_key=api_key, delay_seconds=seconds)
        self.responder = self._reply
        self.answers: list[float] = []
        self._answers_lock = threading.Lock()

    def _reply(self, messages: Messages, tools: Tools) -> dict[str, Any]:
        reply = self.default_reply(messages, tools)
        if not reply.get("tool_calls"):
            with self._answers_lock:
                self.answers.append(time.monotonic())
        return reply

    def restart_count(self) -> None:
        self.reset()
        with self._answers_lock:
            self.answers.clear()


def ensure_holmes() -> Path:
    """holmesgpt==0.45.0 in its own venv (its dependencies clash with alertfleet's)."""
    holmes = HOLMES_VENV / "bin" / "holmes"
    if not holmes.exists():
        print(f"installing holmesgpt=={HOLMES_VERSION} into {HOLMES_VENV} …", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(HOLMES_VENV)], check=True)
        pip = [str(HOLMES_VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, f"holmesgpt=={HOLMES_VERSION}"], check=True)
    return holmes


def alert_bodies(count: int, prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "labels": {"alertname": f"{prefix}{n:02d}", "severity": "critical", "namespace": "prod", "pod": f"api-{n}"},
            "annotations": {"summary": f"{prefix}{n:02d} is firing on api-{n}"},
            "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
        }
        for n in range(count)
    ]


def start_alertmanager(workdir: Path, webhook_url: str, token: str) -> Alertmanager:
    workdir.mkdir(parents=True, exist_ok=True)
    am = Alertmanager(webhook_url, token, workdir, repeat_interval="1h")
    am.config["route"]["group_wait"] = "0s"  # send at once: measure the fleet, not Alertmanager's batching
    return am.start()


def run_cli(label: str, command: list[str], env: dict[str, str], model: TimedModel, count: int) -> dict[str, Any]:
    model.restart_count()
    started = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"{label} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return {
        "run": label,
        "wall s": wall,
        "investigations": len(model.answers),
        "model calls": len(model.completions),
        "completions_s": [t - started for t in sorted(model.answers)],
        "expected": count,
    }


def holmes_env(home: Path, model: TimedModel) -> dict[str, str]:
    """Only what holmes needs; every URL it could reach points at 127.0.0.1, no real key anywhere."""
    return base_env(
        HOME=str(home),
        OPENAI_API_BASE=model.api_base,
        OPENAI_API_KEY=API_KEY,
        ROBUSTA_API_ENDPOINT=DEAD_END,
        ROBUSTA_UI_DOMAIN=DEAD_END,
        ENABLED_BY_DEFAULT_TOOLSETS="bench/alert",
        SENTRY_DSN="",
        NO_PROXY="127.0.0.1,localhost",
    )


def run_fleet(workdir: Path, model: TimedModel, count: int) -> dict[str, Any]:
    """`alertfleet dev` (its ingest, investigation pool and write pool) fed by a real Alertmanager."""
    model.restart_count()
    redis_server = RedisServer().start()
    slack = SlackStub(token=SLACK_TOKEN, channels=("#alerts",)).start()
    port = free_port()
    env = base_env(
        REDIS_URL=redis_server.url,
        MODEL=MODEL,
        OPENAI_API_BASE=model.api_base,
        OPENAI_API_KEY=API_KEY,
        SLACK_BOT_TOKEN=SLACK_TOKEN,
        SLACK_CHANNEL="#alerts",
        SLACK_API_URL=slack.api_url,
        ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN,
        ALERTFLEET_LOG_LEVEL="WARNING",
    )
    log = (workdir / "dev.log").open("wb")
    dev = subprocess.Popen(
        [sys.executable, "-m", "alertfleet.cli", "dev", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    am = None
    try:
        output = workdir / "dev.log"
        if not wait_for(lambda: output.read_text(errors="replace").count("ready.") >= 2, 120, 0.2):
            raise RuntimeError("alertfleet dev did not start:\n" + output.read_text(errors="replace")[-3000:])
        am = start_alertmanager(
            workdir / "am-fleet", f"http://127.0.0.1:{port}/api/webhooks/alertmanager", INGEST_TOKEN
        )
        client = redis_server.client()
        started = time.monotonic()
        httpx.post(am.url + "/api/v2/alerts", json=alert_bodies(count, "Fleet"), timeout=10).raise_for_status()
        if not wait_for(lambda: _completed(client) >= count, 600, 0.05):
            raise RuntimeError("the fleet did not answer every alert:\n" + output.read_text(errors="replace")[-3000:])
        answered = time.monotonic() - started
        wait_for(lambda: slack.post_count() >= count, 600, 0.1)
        posted = time.monotonic() - started
        return {
            "run": "alertfleet dev (fleet), real Alertmanager -> webhook",
            "wall s": answered,
            "investigations": len(model.answers),
            "model calls": len(model.completions),
            "all posted to Slack s": posted,
            "completions_s": [t - started for t in sorted(model.answers)],
            "expected": count,
        }
    finally:
        if am is not None:
            am.stop()
        os.killpg(dev.pid, 15)
        try:
            dev.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(dev.pid, 9)
        log.close()
        slack.stop()
        redis_server.stop()


def _completed(client: redis.Redis) -> int:
    keys = list(client.scan_iter("af:inv:*", count=1000))
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.hget(key, "status")
    return sum(1 for status in pipe.execute() if status == b"completed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=30, help="firing alerts, each its own group (default 30)")
    parser.add_argument("--model-seconds", type=float, default=2.0, help="seconds the stub holds each call")
    args = parser.parse_args()
    holmes = ensure_holmes()
    workdir = Path(tempfile.mkdtemp(prefix="af-bench-holmes-"))
    model = TimedModel(args.model_seconds).start()
    source = start_alertmanager(workdir / "am-source", DEAD_END + "/unused", "unused")
    try:
        httpx.post(
            source.url + "/api/v2/alerts", json=alert_bodies(args.alerts, "Bench"), timeout=10
        ).raise_for_status()
        wait_for(lambda: len(httpx.get(source.url + "/api/v2/alerts/groups", timeout=5).json()) >= args.alerts, 30, 0.2)
        toolset = workdir / "toolset.yaml"
        toolset.write_text(HOLMES_TOOLSET)
        (workdir / "home").mkdir()
        holmes_command = [str(holmes), "investigate", "alertmanager", "--alertmanager-url", source.url,
                          "--model", MODEL, "--api-key", API_KEY, "-t", str(toolset)]  # fmt: skip
        cli_command = [sys.executable, "-m", "alertfleet.cli", "investigate", "alertmanager",
                       "--alertmanager-url", source.url, "--concurrency", "8"]  # fmt: skip
        cli_env = base_env(MODEL=MODEL, OPENAI_API_BASE=model.api_base, OPENAI_API_KEY=API_KEY)
        rows = [
            run_cli(HOLMES_LABEL, holmes_command, holmes_env(workdir / "home", model), model, args.alerts),
            run_cli("alertfleet investigate alertmanager --concurrency 8", cli_command, cli_env, model, args.alerts),
            run_fleet(workdir, model, args.alerts),
        ]
    finally:
        source.stop()
        model.stop()
    holmes_wall = rows[0]["wall s"]
    for row in rows:
        row["x faster than HolmesGPT"] = holmes_wall / row["wall s"]
    targets = {"fleet x": 20.0, "cli x": 5.0}
    summary = [{k: v for k, v in row.items() if k not in ("completions_s", "expected")} for row in rows]
    save(
        "vs_holmesgpt",
        f"{args.alerts} alerts in {args.alerts} groups, model stub {args.model_seconds:g} s/call "
        f"(targets: fleet >= {targets['fleet x']:g}x, CLI >= {targets['cli x']:g}x faster than HolmesGPT)",
        summary,
        curves={row["run"]: row["completions_s"] for row in rows},
        targets=targets,
    )


if __name__ == "__main__":
    main()
