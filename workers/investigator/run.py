"""Choose how to investigate: the model when one is configured, enrichment otherwise (or as fallback)."""

from __future__ import annotations

from alertfleet.models import Event, InvestigationResult
from alertfleet.settings import Settings
from workers.investigator.enrich import enrich
from workers.investigator.loop import LoopLimits, ModelUnavailable, investigate_with_model
from workers.investigator.toolsets import default_tools


def run_investigation(event: Event, settings: Settings, *, degrade: bool = False) -> InvestigationResult:
    """With `degrade`, a model failure yields enrichment (marked degraded) instead of raising."""
    model = event.model or settings.model
    if not model:
        return enrich(event)
    limits = LoopLimits(max_steps=settings.max_steps, call_timeout=settings.llm_timeout)
    try:
        return investigate_with_model(event, model, default_tools(), limits)
    except ModelUnavailable as exc:
        if degrade:
            return enrich(event, degraded_reason=str(exc))
        raise
