"""The real Prometheus binary (Debian's `prometheus`) over series backfilled with `promtool`.

Backfilled blocks make the data exact and immediate: no waiting for scrapes, and a range query can
span hours of 15 s samples from the first second.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.harness.processes import free_port, http_ok, wait_for

STEP = 15  # seconds between samples


def prometheus_binaries() -> tuple[str, str]:
    server, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if not server or not promtool:
        raise RuntimeError("prometheus/promtool are not installed (make test-tools installs Debian's prometheus)")
    return server, promtool


def openmetrics(series: dict[str, Callable[[int], float]], points: int, end: float) -> str:
    """`series` maps `name{labels}` to value(i) for sample i of `points`, the last one at `end`."""
    lines = []
    names = sorted({key.split("{", 1)[0] for key in series})
    for name in names:
        lines.append(f"# TYPE {name} gauge")
        for key, value in sorted(series.items()):
            if key.split("{", 1)[0] != name:
                continue
            start = int(end) - (points - 1) * STEP
            lines += [f"{key} {value(i)} {start + i * STEP}" for i in range(points)]
    return "\n".join(lines) + "\n# EOF\n"


class Prometheus:
    def __init__(self, workdir: Path, series: dict[str, Callable[[int], float]], points: int, rules: list[dict[str, object]]) -> None:
        self.workdir = workdir
        self.series = series
        self.points = points
        self.rules = rules
        self.port = free_port()
        self.end = time.time() - 30
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Prometheus:
        server, promtool = prometheus_binaries()
        data = self.workdir / "prom-data"
        source = self.workdir / "series.om"
        source.write_text(openmetrics(self.series, self.points, self.end))
        subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
                       check=True, capture_output=True, timeout=120)
        rules = self.workdir / "rules.yml"
        rules.write_text(yaml.safe_dump({"groups": [{"name": "demo", "rules": self.rules}]}))
        config = self.workdir / "prometheus.yml"
        config.write_text(yaml.safe_dump({"global": {"evaluation_interval": "1s"}, "rule_files": [str(rules)]}))
        self.log = (self.workdir / "prometheus.log").open("wb")
        self.process = subprocess.Popen(
            [server, f"--config.file={config}", f"--storage.tsdb.path={data}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=30d"],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        if not wait_for(self._ready, 60, 0.2):
            self.stop()
            raise RuntimeError("prometheus did not start: " + (self.workdir / "prometheus.log").read_text())
        return self

    def _ready(self) -> bool:
        return http_ok(self.url + "/-/ready")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
