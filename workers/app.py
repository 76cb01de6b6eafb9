"""The worker's Celery app: the shared app object with the fleet's tasks, leases and limiter on it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

import redis
import structlog
from celery import signals

from alertfleet.durability import durability_warnings, normalise
from alertfleet.queue import make_celery
from alertfleet.settings import get_settings
from workers.investigator.model_calls import build_limiter, install_limiter
from workers.leases import LeaseKeeper
from workers.ratelimit import GlobalRateLimiter
from workers.route_config import routing

log = structlog.get_logger("worker")
app = make_celery(get_settings())
app.conf.include = ["workers.tasks"]


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis:
    """One pool per process (redis-py resets it after a fork)."""
    return redis.Redis.from_url(get_settings().redis_client_url, socket_timeout=30, socket_connect_timeout=5)


@lru_cache(maxsize=1)
def rate_limiter() -> GlobalRateLimiter:
    settings = get_settings()
    return GlobalRateLimiter(redis_client(), settings.redis_client_url, settings.rate_limit_overrides())


def _install_model_limiter() -> None:
    """Model calls in every worker process and host share one set of limits, in Redis."""
    install_limiter(build_limiter(get_settings(), redis_client(), lambda: routing().config))


_install_model_limiter()


@lru_cache(maxsize=1)
def lease_keeper() -> LeaseKeeper:
    return LeaseKeeper(redis_client(), app, get_settings().lease_seconds)


@signals.worker_ready.connect
def _start_reaper(**_: Any) -> None:
    lease_keeper().start_reaper()
    try:
        config = normalise(cast(Any, redis_client()).config_get("*"))
    except redis.ResponseError:
        config = {}
    for warning in durability_warnings(config):
        log.warning("redis_durability", advice=warning)


@signals.worker_process_init.connect
def _start_child_reaper(**_: Any) -> None:
    lease_keeper().start_reaper()


@signals.task_prerun.connect
def _hold_lease(task_id: str, task: Any, args: Any = (), kwargs: Any = None, **_: Any) -> None:
    queue = str((task.request.delivery_info or {}).get("routing_key") or "")
    lease_keeper().hold(task_id, task.name, list(args or ()), dict(kwargs or {}), queue)


@signals.task_postrun.connect
def _release_lease(task_id: str, **_: Any) -> None:
    lease_keeper().release(task_id)
