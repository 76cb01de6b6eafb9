"""Choose how to investigate: the model when one is configured, enrichment otherwise (or as fallback)."""

from __future__ import annotations

import time
from typing import Literal

from alertfleet.models import Event, InvestigationResult
from alertfleet.settings import FleetSettings
from alertfleet.usage import Usage
from workers.investigator.enrich import enrich
from workers.investigator.loop import LoopLimits, ModelUnavailable, investigate_with_model
from workers.investigator.toolsets.registry import Toolbox
from workers.investigator.usage_meter import metered
from workers.investigator.verdict import ask_verdict


def default_toolbox(settings: FleetSettings) -> Toolbox:
    """The CLI's path: the same toolsets the fleet would use, from ALERTFLEET_CONFIG and the environment
    (built once per run: it lists MCP servers and imports the configured toolsets)."""
    from alertfleet.config import load_config
    from workers.investigator.toolsets.registry import toolbox_for

    return toolbox_for(settings, load_config(settings))


def run_investigation(
    event: Event,
    settings: FleetSettings,
    *,
    degrade: bool = False,
    mode: Literal["llm", "enrich"] | None = None,
    model: str | None = None,
    max_steps: int | None = None,
    max_tokens: int | None = None,
    call_timeout: float | None = None,
    toolsets: list[str] | None = None,
    toolbox: Toolbox | None = None,
) -> InvestigationResult:
    """With `degrade`, a model failure yields enrichment (marked degraded) instead of raising.
    The keyword overrides are a route's decision (`investigate`, `model`, `max_steps`, `max_tokens`, `timeout`, `toolsets`)."""
    if mode == "enrich":
        return enrich(event)
    model = event.model or model or settings.model
    if not model:
        return enrich(event)
    limits = LoopLimits(
        max_steps=max_steps or settings.max_steps,
        call_timeout=call_timeout or settings.llm_timeout,
        tool_timeout=settings.tool_timeout,
        tool_concurrency=settings.tool_concurrency,
        max_tokens=max_tokens or settings.max_tokens_per_investigation,
        seconds=settings.investigation_timeout,
    )
    box = toolbox or default_toolbox(settings)
    started = time.monotonic()
    with metered() as usage:
        try:
            result = investigate_with_model(
                event, model, box.tools(toolsets), limits, box.prompt_lines(event, toolsets)
            )
        except ModelUnavailable as exc:
            if degrade:  # the calls made before the model failed were paid for: they stay counted
                return with_usage(enrich(event, degraded_reason=str(exc)), usage, time.monotonic() - started)
            raise
        # Only when configured (one more call), and never for a cut-short investigation: it spends nothing more.
        if settings.investigation_verdict and not result.partial:
            result = with_verdict(result, model, limits)
    return with_usage(result, usage, time.monotonic() - started)


def with_usage(result: InvestigationResult, usage: Usage, seconds: float) -> InvestigationResult:
    """The result with what it cost: the usage record, HolmesGPT's token_count, and its wall time."""
    return result.model_copy(
        update={"usage": usage.model_copy(), "token_count": usage.total_tokens, "duration_seconds": round(seconds, 3)}
    )


def with_verdict(result: InvestigationResult, model: str, limits: LoopLimits) -> InvestigationResult:
    """The result with the model's structured verdict (confidence, outcome) on it."""
    verdict = ask_verdict(model, result.analysis, limits)
    return result.model_copy(update=verdict.model_dump())
