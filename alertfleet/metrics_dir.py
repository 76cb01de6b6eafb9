"""prometheus-client's multiprocess directory for `alertfleet ingest`.

Each uvicorn worker (and its dispatcher child) is a process of its own; without a shared directory
a scrape would see only the worker that answered it. The directory must be empty when the processes
start (stale files would add a previous run's counts): a PROMETHEUS_MULTIPROC_DIR the user gave is
emptied of metric files, otherwise a private one is made and removed at exit. Set before any worker
is spawned, so every child imports prometheus-client in multiprocess mode.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def multiprocess_metrics() -> Iterator[Path]:
    if "prometheus_client" in sys.modules:  # its value class is chosen at import: too late for this process
        raise RuntimeError("prometheus_client was imported before the multiprocess directory was set")
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink(missing_ok=True)
    else:
        directory = Path(tempfile.mkdtemp(prefix="alertfleet-metrics-"))
        os.environ[MULTIPROC_ENV] = str(directory)
    try:
        yield directory
    finally:
        if not given:
            os.environ.pop(MULTIPROC_ENV, None)
            shutil.rmtree(directory, ignore_errors=True)
