"""Every model call goes through here: it waits for the fleet-wide model limits, then calls litellm.

A provider 429 pauses that model for every worker until its Retry-After has passed, and the call is
made again after the pause: a rate limit is not a failure of the investigation. litellm is imported on
the first call, so a process that only writes never loads it (~170 MB).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import redis
import structlog
from limits.storage import MemoryStorage, Storage, storage_from_string

from alertfleet.config import RoutingConfig
from alertfleet.model_limits import LocalSlots, ModelLimiter, ModelLimitSpec, RedisSlots, limits_table
from alertfleet.settings import Settings, get_settings
from alertfleet.writing import retry_after_seconds
from workers.investigator.usage_meter import record_call
from workers.policy import backoff

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
log = structlog.get_logger("worker")

# A slot's lease outlives the call's own timeout by this much; then a killed worker's slot frees itself.
LEASE_MARGIN_SECONDS = 30.0
_installed: ModelLimiter | None = None
_install_lock = threading.Lock()


def build_limiter(
    settings: Settings, client: redis.Redis | None, config: Callable[[], RoutingConfig] | None
) -> ModelLimiter:
    """Fleet-wide limits in Redis when there is a Redis, this process's own otherwise (the CLI)."""
    from alertfleet.limits import limits_storage_uri

    def per_model() -> Mapping[str, ModelLimitSpec]:
        return config().model_limits if config is not None else {}

    table = limits_table(settings.llm_concurrency, settings.llm_requests_limit(), per_model)
    if client is None:
        return ModelLimiter(LocalSlots(), MemoryStorage(), table)
    windows = storage_from_string(limits_storage_uri(settings.redis_client_url))
    assert isinstance(windows, Storage)  # a redis:// URI gives the synchronous storage
    return ModelLimiter(RedisSlots(client), windows, table)


def install_limiter(limiter: ModelLimiter) -> None:
    global _installed
    with _install_lock:
        _installed = limiter


def model_limiter() -> ModelLimiter:
    """The installed limiter; without one, limits from the settings and the routing file."""
    global _installed
    with _install_lock:
        if _installed is None:
            from alertfleet.config import load_config

            settings = get_settings()
            client = redis.Redis.from_url(settings.redis_client_url) if settings.redis_url else None
            routing = load_config(settings)
            _installed = build_limiter(settings, client, lambda: routing)
        return _installed


def preload() -> None:
    """Import litellm now (~2 s) rather than in the first investigation's first call."""
    import litellm  # noqa: F401


def estimate_tokens(messages: list[dict[str, Any]], kwargs: Mapping[str, Any]) -> int:
    """About 4 characters a token; the answer's tokens are counted after the call."""
    return max(1, (len(json.dumps(messages, default=str)) + len(json.dumps(kwargs.get("tools") or []))) // 4)


def limited_completion(
    model: str, messages: list[dict[str, Any]], timeout: float, *, retry_rate_limited: bool = True, **kwargs: Any
) -> Any:
    """litellm.completion within the model's limits; waits at most ALERTFLEET_INVESTIGATION_TIMEOUT.

    A provider 429 pauses the model fleet-wide either way; `retry_rate_limited=False` (a chat, whose
    client expects HolmesGPT's rate-limit error) then raises it instead of calling again after the pause.
    """
    import litellm
    from litellm.exceptions import RateLimitError

    limiter = model_limiter()
    estimate = estimate_tokens(messages, kwargs)
    deadline = time.monotonic() + get_settings().investigation_timeout
    rate_limited = 0
    while True:
        budget = max(0.0, deadline - time.monotonic())
        with limiter.turn(model, estimate, timeout + LEASE_MARGIN_SECONDS, budget) as waited:
            try:
                # max_retries=0: the OpenAI client must not retry a 429 on its own, hidden from the fleet.
                response = litellm.completion(
                    model=model, messages=messages, timeout=timeout, num_retries=0, max_retries=0, **kwargs
                )
            except RateLimitError as exc:
                pause = _retry_after(exc) or backoff(rate_limited)
                limiter.pause(model, pause)
                if not retry_rate_limited:
                    raise
                rate_limited += 1
                log.warning("model_rate_limited", model=model, retry_after=pause, attempt=rate_limited)
                continue
        if waited >= 0.05:
            log.info("model_slot_waited", model=model, seconds=round(waited, 3))
        usage = getattr(response, "usage", None)
        limiter.spend_tokens(model, int(getattr(usage, "total_tokens", 0) or 0) - estimate)
        record_call(model, response)  # the one place every model call's usage and cost is counted
        return response


def _retry_after(exc: Exception) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    milliseconds = retry_after_seconds(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000
    return retry_after_seconds(headers.get("retry-after"))
