"""The worker's Celery app: the shared app object with the fleet's tasks registered on it."""

from __future__ import annotations

from functools import lru_cache

import redis

from alertfleet.queue import make_celery
from alertfleet.settings import get_settings

app = make_celery(get_settings())
app.conf.include = ["workers.tasks"]


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis:
    """One pool per process (redis-py resets it after a fork)."""
    return redis.Redis.from_url(get_settings().redis_client_url, socket_timeout=30, socket_connect_timeout=5)
