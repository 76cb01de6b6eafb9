"""The real Alertmanager binary (Debian's prometheus-alertmanager), configured to call alertfleet."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.harness.processes import free_port, http_ok, wait_for


def alertmanager_binary() -> str:
    found = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if not found:
        raise RuntimeError("prometheus-alertmanager is not installed (make test installs it: `make test-tools`)")
    return found


class Alertmanager:
    def __init__(self, webhook_url: str, token: str, workdir: Path, repeat_interval: str = "3s") -> None:
        self.port = free_port()
        self.workdir = workdir
        self.config = {
            "route": {
                "receiver": "alertfleet",
                "group_by": ["alertname"],
                "group_wait": "1s",
                "group_interval": "2s",
                "repeat_interval": repeat_interval,
            },
            "receivers": [
                {
                    "name": "alertfleet",
                    "webhook_configs": [
                        {
                            "url": webhook_url,
                            "send_resolved": True,
                            "http_config": {"authorization": {"type": "Bearer", "credentials": token}},
                        }
                    ],
                }
            ],
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Alertmanager:
        config_path = self.workdir / "alertmanager.yml"
        config_path.write_text(yaml.safe_dump(self.config))
        self.log = (self.workdir / "alertmanager.log").open("wb")
        self.process = subprocess.Popen(
            [
                alertmanager_binary(),
                f"--config.file={config_path}",
                f"--storage.path={self.workdir / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        if not wait_for(self._ready, 20, 0.1):
            self.stop()
            raise RuntimeError("alertmanager did not start: " + (self.workdir / "alertmanager.log").read_text())
        return self

    def _ready(self) -> bool:
        return http_ok(self.url + "/-/ready")

    def post_alerts(self, name: str, instances: list[str], resolved: bool = False) -> None:
        now = datetime.now(UTC)
        alerts: list[dict[str, Any]] = []
        for instance in instances:
            alert: dict[str, Any] = {
                "labels": {"alertname": name, "instance": instance, "severity": "critical", "namespace": "prod"},
                "annotations": {"summary": f"{name} on {instance}", "runbook_url": f"https://runbooks.example/{name}"},
                "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
                "startsAt": (now - timedelta(minutes=5)).isoformat(),
            }
            if resolved:
                alert["endsAt"] = (now - timedelta(seconds=1)).isoformat()
            alerts.append(alert)
        response = httpx.post(self.url + "/api/v2/alerts", json=alerts, timeout=5)
        response.raise_for_status()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
