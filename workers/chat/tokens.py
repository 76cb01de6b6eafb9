"""Token counts per message role and the model's context limits, through litellm's own tables."""

from __future__ import annotations

import json
from typing import Any

from workers.investigator.model_info import count_tokens, model_info

_ROLE_FIELDS = {"system": "system_tokens", "user": "user_tokens", "tool": "tools_tokens"}


def tokens_by_role(messages: list[dict[str, Any]], model: str) -> dict[str, int]:
    counts = dict.fromkeys(
        ("system_tokens", "user_tokens", "tools_tokens", "tools_to_call_tokens", "assistant_tokens", "other_tokens"), 0
    )
    for message in messages:
        role = str(message.get("role", ""))
        content = message.get("content")
        text = content if isinstance(content, str) else json.dumps(content) if content else ""
        if role == "assistant":
            counts["assistant_tokens"] += count_tokens(model, text)
            calls = message.get("tool_calls")
            counts["tools_to_call_tokens"] += count_tokens(model, json.dumps(calls)) if calls else 0
            continue
        counts[_ROLE_FIELDS.get(role, "other_tokens")] += count_tokens(model, text)
    return {"total_tokens": sum(counts.values()), **counts}


def context_limits(model: str) -> tuple[int | None, int | None]:
    """(context window, output limit) as litellm knows them; None for a model it has no entry for."""
    info = model_info(model)
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
