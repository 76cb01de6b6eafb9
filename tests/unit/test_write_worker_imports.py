"""The write worker loads every task module (Celery's `include`) but never runs a model: importing them must
not import litellm, which alone costs a process ~180 MB of RSS (bench/memory.py measures the worker)."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import sys
from workers.app import app
for name in app.conf.include:
    __import__(name)
print(len(app.conf.include), "litellm" in sys.modules)
"""


def test_task_modules_import_without_litellm(redis_url: str) -> None:
    env = {**os.environ, "REDIS_URL": redis_url, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    modules, loaded = done.stdout.split()
    assert int(modules) >= 3  # the fleet's tasks, the chat task and an integration's own
    assert loaded == "False"
