"""The worker's Celery app: the shared app object with the fleet's tasks, leases and limiter on it."""

from __future__ import annotations

import contextlib
from functools import lru_cache
from typing import Any, cast

import redis
import structlog
from celery import signals

from alertfleet import registry
from alertfleet.durability import durability_warnings, normalise
from alertfleet.limits import FleetRateLimiter, vendor_limits
from alertfleet.queue import make_celery
from alertfleet.settings import get_settings
from alertfleet.token_budget import TokenBudget
from workers.dlq import DeadLetters
from workers.investigator.model_calls import build_limiter, install_limiter
from workers.investigator.usage_meter import install_fleet_usage
from workers.leases import LeaseKeeper
from workers.route_config import routing

log = structlog.get_logger("worker")
app = make_celery(get_settings())
# The integrations' own task modules (e.g. answering a thread under a post) come from the registry.
app.conf.include = ["workers.tasks", "workers.chat.task", *(m for i in registry.integrations() for m in i.worker_modules())]


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis:
    """One pool per process (redis-py resets it after a fork)."""
    return redis.Redis.from_url(get_settings().redis_client_url, socket_timeout=30, socket_connect_timeout=5)


@lru_cache(maxsize=1)
def rate_limiter() -> FleetRateLimiter:
    """The fleet's one limiter (ingest's pollers share it): every vendor's limit from the registry."""
    settings = get_settings()
    limits = vendor_limits(settings, registry.integrations())
    return FleetRateLimiter(redis_client(), settings.redis_client_url, limits)


def _install_model_limiter() -> None:
    """Model calls in every worker process and host share one set of limits, in Redis, and count their
    usage there (the /metrics counters and the hourly token budget)."""
    install_limiter(build_limiter(get_settings(), redis_client(), lambda: routing().config))
    hourly_budget()


@lru_cache(maxsize=1)
def hourly_budget() -> TokenBudget:
    """The fleet's hourly token budget; every model call of this process spends it (and is counted)."""
    return install_fleet_usage(redis_client(), get_settings().token_budget_per_hour)


_install_model_limiter()


@lru_cache(maxsize=1)
def lease_keeper() -> LeaseKeeper:
    return LeaseKeeper(redis_client(), app, get_settings().lease_seconds)


@signals.worker_ready.connect
def _start_reaper(**_: Any) -> None:
    lease_keeper().start_reaper()
    with contextlib.suppress(redis.RedisError):
        DeadLetters(redis_client()).trim()  # bounds that changed since the last failure apply now
    try:
        config = normalise(cast(Any, redis_client()).config_get("*"))
    except redis.ResponseError:
        config = {}
    for warning in durability_warnings(config):
        log.warning("redis_durability", advice=warning)


@signals.worker_process_init.connect
def _start_child_reaper(**_: Any) -> None:
    lease_keeper().start_reaper()


def _delivery(fields: Any) -> tuple[str, str]:
    """(queue, delivery tag) of the message behind a worker request or a task's request context.

    Celery's `delivery_info` holds the routing key but not the tag: kombu's Redis transport puts the
    tag in the message properties (set at publish; the key of the message in the `unacked` hash)."""
    info = getattr(fields, "delivery_info", None) or {}
    properties = (getattr(fields, "request_dict", None) or {}).get("properties") or getattr(fields, "properties", None)
    return str(info.get("routing_key") or ""), str((properties or {}).get("delivery_tag") or "")


@signals.task_received.connect
def _hold_lease_on_receipt(request: Any = None, **_: Any) -> None:
    """A message this worker took but has not started (prefetched, or waiting for its countdown) is its
    work too: leased from receipt, a kill -9 before it starts cannot strand it until the visibility timeout."""
    if request is None:
        return
    queue, delivery = _delivery(request)
    retries = int((getattr(request, "request_dict", None) or {}).get("retries") or 0)
    args, kwargs = list(request.args or ()), dict(request.kwargs or {})
    lease_keeper().hold(request.id, request.name, args, kwargs, queue, delivery, retries)


@signals.task_prerun.connect
def _hold_lease(task_id: str, task: Any, args: Any = (), kwargs: Any = None, **_: Any) -> None:
    queue, delivery = _delivery(task.request)
    retries = int(task.request.retries or 0)
    lease_keeper().hold(task_id, task.name, list(args or ()), dict(kwargs or {}), queue, delivery, retries)


@signals.task_postrun.connect
def _release_lease(task_id: str, task: Any = None, **_: Any) -> None:
    _queue, delivery = _delivery(getattr(task, "request", None))
    lease_keeper().release(task_id, delivery)
