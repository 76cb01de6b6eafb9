"""The worker's routing config: one holder per process, reloaded on file change and on SIGHUP.

Celery's own SIGHUP handler re-executes the worker, which would turn a bad new file into a worker
that cannot start; ours reloads in place instead (refusing a bad file) and passes the signal on to
prefork pool children, which hold their own copy.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from functools import lru_cache
from typing import Any, cast

import redis
import structlog
from celery.signals import worker_process_init, worker_ready

from alertfleet.config_watch import ConfigHolder, install_sighup
from alertfleet.keys import ROUTE_METRICS
from alertfleet.models import RouteDecision
from alertfleet.settings import get_settings

log = structlog.get_logger("worker")


@lru_cache(maxsize=1)
def routing() -> ConfigHolder:
    return ConfigHolder(get_settings())


def count_routed(client: redis.Redis, decision: RouteDecision) -> None:
    """Fleet-wide counts per (route, mode), in Redis: workers serve no /metrics, ingest reads these."""
    pipe = cast(Any, client).pipeline(transaction=False)
    for route in decision.routes:
        pipe.hincrby(ROUTE_METRICS, json.dumps([route, decision.investigate]), 1)
    pipe.execute()


def _pool_pids(consumer: Any) -> list[int]:
    info = getattr(getattr(consumer, "pool", None), "info", None)
    pids = info.get("processes", []) if isinstance(info, dict) else []
    return [pid for pid in pids if isinstance(pid, int) and pid != os.getpid()]


def _reload_on_sighup(sender: Any = None, **_: Any) -> None:
    holder = routing()
    holder.start_watching()

    def _reload() -> None:
        holder.request_reload()
        for pid in _pool_pids(sender):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGHUP)

    if install_sighup(_reload):
        log.info("config_sighup_installed", file=str(holder.path) if holder.path else None)


def _reload_child_on_sighup(**_: Any) -> None:
    install_sighup(routing().request_reload)


worker_ready.connect(_reload_on_sighup, weak=False)
worker_process_init.connect(_reload_child_on_sighup, weak=False)
