"""Model limits from the environment and the YAML `models:` entries, and the in-process limiter's rules."""

from __future__ import annotations

import threading

import pytest
from limits.storage import MemoryStorage

from alertfleet.config import ConfigError
from alertfleet.model_limits import LocalSlots, ModelLimit, ModelLimiter, ModelWaitTooLong, limits_table
from alertfleet.settings import Settings
from tests.routing.conftest import config

MODELS = """
models:
  fast: {model: openai/gpt-4.1-mini, rpm: 500, tpm: 200000}
  deep: anthropic/claude-sonnet-4-5
  quick: {model: openai/gpt-4.1-nano, concurrency: 4}
route: {model: fast}
"""


def test_yaml_limits_apply_per_model_id_and_fall_back_to_the_environment() -> None:
    parsed = config(MODELS)
    settings = Settings(ALERTFLEET_LLM_CONCURRENCY=16, ALERTFLEET_RATE_LIMITS="llm=100/minute")  # type: ignore[call-arg]
    table = limits_table(settings.llm_concurrency, settings.llm_requests_limit(), lambda: parsed.model_limits)
    fast = table("openai/gpt-4.1-mini")
    assert (fast.concurrency, str(fast.requests), str(fast.tokens)) == (16, "500 per 1 minute", "200000 per 1 minute")
    quick = table("openai/gpt-4.1-nano")
    assert (quick.concurrency, str(quick.requests), quick.tokens) == (4, "100 per 1 minute", None)
    deep = table("anthropic/claude-sonnet-4-5")  # the string form: the environment's limits
    assert (deep.concurrency, str(deep.requests), deep.tokens) == (16, "100 per 1 minute", None)
    assert parsed.route.model == "openai/gpt-4.1-mini"


def test_default_concurrency_is_64_without_settings() -> None:
    assert Settings().llm_concurrency == 64  # type: ignore[call-arg]
    assert limits_table(64, None, dict)("any/model") == ModelLimit(64)


@pytest.mark.parametrize(
    ("models", "line"),
    [
        ("  fast: {model: openai/x, rpm: 0}\n", "models.fast.rpm: Input should be greater than or equal to 1"),
        ("  fast: {model: openai/x, rmp: 5}\n", "models.fast.rmp: unknown key"),
        (
            "  a: {model: openai/x, rpm: 5}\n  b: {model: openai/x, rpm: 6}\n",
            "models.b: limits for openai/x differ from those of models.a",
        ),
    ],
)
def test_bad_model_limits_are_refused_naming_their_place(models: str, line: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config("models:\n" + models + "route: {}\n")
    assert caught.value.problems == [line]


def _limiter(limit: ModelLimit) -> ModelLimiter:
    return ModelLimiter(LocalSlots(), MemoryStorage(), lambda model: limit)


def test_a_paused_model_is_not_called_before_the_pause_ends() -> None:
    limiter = _limiter(ModelLimit(2))
    limiter.pause("m", 0.3)
    with limiter.turn("m", 10, 60, max_wait=5) as waited:
        assert waited >= 0.29
    limiter.pause("m", 30)
    with pytest.raises(ModelWaitTooLong), limiter.turn("m", 10, 60, max_wait=1):
        pass


def test_a_full_model_wakes_the_waiter_when_a_slot_frees() -> None:
    limiter = _limiter(ModelLimit(1))
    got_turn = threading.Event()
    with limiter.turn("m", 10, 60, max_wait=5):

        def second() -> None:
            with limiter.turn("m", 10, 60, max_wait=30):
                got_turn.set()

        waiter = threading.Thread(target=second)
        waiter.start()
        assert not got_turn.wait(0.2), "one slot: the second call waits"
    waiter.join(10)
    assert got_turn.is_set()


def test_requests_per_minute_are_counted() -> None:
    limiter = _limiter(ModelLimit.of(8, rpm=2))
    for _ in range(2):
        with limiter.turn("m", 10, 60, max_wait=1):
            pass
    with pytest.raises(ModelWaitTooLong), limiter.turn("m", 10, 60, max_wait=1):
        pass
