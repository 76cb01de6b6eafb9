"""`alertfleet dev` (what `make run` starts): embedded Redis, ingest and worker, all stopped on exit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.harness.alerts import webhook
from tests.harness.processes import base_env, free_port, wait_for


def _redis_servers_under(data_dir: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if "redis-server" in cmdline and str(data_dir) in cmdline:
                pids.append(int(proc.name))
    return pids


def _start_dev(tmp_path: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    data_dir = (tmp_path / "data").resolve()
    env = base_env()  # no REDIS_URL: dev must bring its own Redis
    process = subprocess.Popen(
        [sys.executable, "-m", "alertfleet.cli", "dev", "--port", str(port), "--data-dir", str(data_dir)],
        env=env,
        stdout=(tmp_path / "dev.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    return process, f"http://127.0.0.1:{port}", data_dir


def _ready(url: str) -> bool:
    try:
        return httpx.get(url + "/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_dev_runs_the_fleet_on_embedded_redis_and_stops_everything(tmp_path: Path, stop_signal: int) -> None:
    process, url, data_dir = _start_dev(tmp_path)
    try:
        assert wait_for(lambda: _ready(url), 60, 0.2), (tmp_path / "dev.log").read_text()
        assert _redis_servers_under(data_dir), "an embedded redis-server runs"
        investigation_id = httpx.post(url + "/api/webhooks/alertmanager", json=webhook(), timeout=5).json()[
            "investigation_ids"
        ][0]

        def completed() -> bool:
            response = httpx.get(f"{url}/api/v1/investigations/{investigation_id}", timeout=5)
            return bool(response.json()["status"] == "completed")

        assert wait_for(completed, 60, 0.2), (tmp_path / "dev.log").read_text()
    finally:
        process.send_signal(stop_signal)
        process.wait(timeout=30)
    assert wait_for(lambda: not _redis_servers_under(data_dir), 10)
    assert (data_dir / "appendonlydir").exists() or (data_dir / "appendonly.aof").exists()


def test_embedded_redis_dies_with_a_killed_parent(tmp_path: Path) -> None:
    process, url, data_dir = _start_dev(tmp_path)
    try:
        assert wait_for(lambda: _ready(url), 60, 0.2), (tmp_path / "dev.log").read_text()
    finally:
        os.kill(process.pid, signal.SIGKILL)  # no cleanup code runs
        process.wait(timeout=10)
    assert wait_for(lambda: not _redis_servers_under(data_dir), 15), "no orphaned redis-server"
    assert wait_for(lambda: not _ready(url), 15), "no orphaned ingest"
