"""Token counts per message role and the model's context limits, through litellm's own tables."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from workers.investigator import loop  # noqa: F401  (sets LITELLM_LOCAL_MODEL_COST_MAP before litellm loads)

import litellm  # isort: skip

_ROLE_FIELDS = {"system": "system_tokens", "user": "user_tokens", "tool": "tools_tokens"}


def _count(model: str, text: str) -> int:
    if not text:
        return 0
    try:
        return int(litellm.token_counter(model=model, text=text))
    except Exception:  # an unknown tokenizer must not fail a chat over a progress figure
        return max(1, len(text) // 4)


def tokens_by_role(messages: list[dict[str, Any]], model: str) -> dict[str, int]:
    counts = dict.fromkeys(
        ("system_tokens", "user_tokens", "tools_tokens", "tools_to_call_tokens", "assistant_tokens", "other_tokens"), 0
    )
    for message in messages:
        role = str(message.get("role", ""))
        content = message.get("content")
        text = content if isinstance(content, str) else json.dumps(content) if content else ""
        if role == "assistant":
            counts["assistant_tokens"] += _count(model, text)
            calls = message.get("tool_calls")
            counts["tools_to_call_tokens"] += _count(model, json.dumps(calls)) if calls else 0
            continue
        counts[_ROLE_FIELDS.get(role, "other_tokens")] += _count(model, text)
    return {"total_tokens": sum(counts.values()), **counts}


@lru_cache(maxsize=64)
def context_limits(model: str) -> tuple[int | None, int | None]:
    """(context window, output limit) as litellm knows them; None for a model it has no entry for."""
    try:
        info = litellm.get_model_info(model)
    except Exception:
        return None, None
    window = info.get("max_input_tokens") or info.get("max_tokens")
    output = info.get("max_output_tokens")
    return (int(window) if window else None), (int(output) if output else None)


def token_metadata(usage: Any, messages: list[dict[str, Any]], model: str) -> dict[str, Any]:
    """HolmesGPT's `metadata`: the provider's usage, tokens per role, and the model's context limits."""
    raw = {
        "prompt_tokens": int(getattr(usage, "prompt_tokens", 0) or 0),
        "completion_tokens": int(getattr(usage, "completion_tokens", 0) or 0),
        "total_tokens": int(getattr(usage, "total_tokens", 0) or 0),
    }
    max_tokens, max_output_tokens = context_limits(model)
    return {
        "usage": raw,
        "tokens": tokens_by_role(messages, model),
        "max_tokens": max_tokens,
        "max_output_tokens": max_output_tokens,
    }
