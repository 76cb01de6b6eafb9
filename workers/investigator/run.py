"""Choose how to investigate: the model when one is configured, enrichment otherwise (or as fallback)."""

from __future__ import annotations

from typing import Literal

from alertfleet.models import Event, InvestigationResult
from alertfleet.settings import FleetSettings
from workers.investigator.enrich import enrich
from workers.investigator.loop import LoopLimits, ModelUnavailable, investigate_with_model
from workers.investigator.toolsets.registry import Toolbox
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
    call_timeout: float | None = None,
    toolsets: list[str] | None = None,
    toolbox: Toolbox | None = None,
) -> InvestigationResult:
    """With `degrade`, a model failure yields enrichment (marked degraded) instead of raising.
    The keyword overrides are a route's decision (`investigate`, `model`, `max_steps`, `timeout`, `toolsets`)."""
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
    )
    box = toolbox or default_toolbox(settings)
    try:
        result = investigate_with_model(event, model, box.tools(toolsets), limits, box.prompt_lines(event, toolsets))
    except ModelUnavailable as exc:
        if degrade:
            return enrich(event, degraded_reason=str(exc))
        raise
    return with_verdict(result, model, limits) if settings.investigation_verdict else result


def with_verdict(result: InvestigationResult, model: str, limits: LoopLimits) -> InvestigationResult:
    """The result with the model's structured verdict (confidence, outcome) on it."""
    verdict = ask_verdict(model, result.analysis, limits)
    return result.model_copy(update=verdict.model_dump())
