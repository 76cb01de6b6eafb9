"""`alertfleet ingest --workers 2`: both uvicorn workers add to one /metrics, and both log JSON with secrets masked."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import httpx
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from tests.harness.alerts import webhook
from tests.harness.processes import AlertfleetProcess, base_env, free_port, wait_for

TOKEN = "ingest-token-0123456789abcdef"
SLACK_TOKEN = "xoxb-secret-never-logged-42"
MAX_REQUESTS = 3000
# A "secret" equal to what uvicorn itself logs in every worker at start-up: masked there, it proves each
# worker process runs the redaction on uvicorn's own (stdlib) lines, not only on alertfleet's.
LOGGED_SECRET = "Waiting for application startup."


def accepted_by_pid(directory: Path) -> Counter[int]:
    """What each process's own file says it accepted: prometheus-client writes one file per pid."""
    counts: Counter[int] = Counter()
    for path in directory.glob("counter_*.db"):
        pid = int(path.stem.removeprefix("counter_"))
        for key, value, _, _ in MmapedDict.read_all_values_from_file(str(path)):
            if json.loads(key)[1] == "alertfleet_notifications_accepted_total":
                counts[pid] += int(value)
    return counts


def scraped(url: str, sample: str, **labels: str) -> float:
    text = httpx.get(url + "/metrics", timeout=10).text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == sample and labels.items() <= s.labels.items()
    )


def test_every_uvicorn_worker_adds_to_the_same_metrics_and_logs_json(redis_url: str, tmp_path: Path) -> None:
    metrics_dir = tmp_path / "prometheus"
    env = base_env(
        REDIS_URL=redis_url,
        ALERTFLEET_INGEST_TOKEN=TOKEN,
        SLACK_BOT_TOKEN=SLACK_TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        STARTUP_PHRASE_TOKEN=LOGGED_SECRET,
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    ingest = AlertfleetProcess(
        ["ingest", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"], env, tmp_path, "ingest"
    ).start()
    try:
        assert wait_for(lambda: ingest.output().count('"ingest_started"') == 2, 60, 0.1), ingest.output()
        sent = 0
        # New connection per request: the kernel spreads accepts over both workers. Send until each
        # worker's own file shows work (the precondition), then check the scrape adds both up.
        while len([pid for pid, n in accepted_by_pid(metrics_dir).items() if n > 0]) < 2 and sent < MAX_REQUESTS:
            for _ in range(20):
                body = webhook(group=f"mp-{sent}")
                answer = httpx.post(
                    url + "/api/webhooks/alertmanager", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
                )
                assert answer.status_code == 202, answer.text
                sent += 1
        per_pid = accepted_by_pid(metrics_dir)
        assert len([n for n in per_pid.values() if n > 0]) >= 2, f"one worker answered all {sent} requests"
        assert sum(per_pid.values()) == sent
        for _ in range(3):  # whichever worker answers the scrape, it reports the sum
            assert scraped(url, "alertfleet_notifications_accepted_total", source="alertmanager") == sent
            assert scraped(url, "alertfleet_notifications_received_total", source="alertmanager") == sent
        # Each worker's dispatcher child counts in its own file: every event once, none twice.
        assert wait_for(lambda: scraped(url, "alertfleet_events_dispatched_total") >= sent, 60, 0.5)
        assert scraped(url, "alertfleet_events_dispatched_total", action="investigate") == sent
    finally:
        ingest.stop()
    lines = [line for line in ingest.output().splitlines() if line.strip()]
    assert lines
    for line in lines:
        json.loads(line)  # every process, uvicorn's own lines included, logs JSON
    started = [json.loads(line)["event"] for line in lines if "Started server process" in line]
    assert len(started) == 2
    assert SLACK_TOKEN not in ingest.output() and TOKEN not in ingest.output()
    assert LOGGED_SECRET not in ingest.output()
    masked = [
        line
        for line in lines
        if json.loads(line)["event"] == "***" and json.loads(line).get("logger") == "uvicorn.error"
    ]
    assert len(masked) == 2, "one masked start-up line per uvicorn worker"
