"""What litellm knows of a model — its context limits and its tokenizer — with litellm imported on first use.

The write worker imports every task module (Celery's `include`) but never runs a model; litellm imported
at module level would cost it ~180 MB of RSS. The price map is the local one, never fetched.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=64)
def model_info(model: str) -> Mapping[str, Any]:
    """litellm's entry for `model` (max_input_tokens, max_output_tokens, ...); empty for a model it has not mapped."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    try:
        return dict(litellm.get_model_info(model))
    except Exception:  # litellm raises for a model it has not mapped
        return {}


def count_tokens(model: str, text: str) -> int:
    """Tokens of `text` by the model's tokenizer; with none known, a conservative estimate (3 characters each)."""
    if not text:
        return 0
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    try:
        return int(litellm.token_counter(model=model, text=text))
    except Exception:  # no tokenizer for this model: a figure must not fail the work it describes
        return len(text) // 3 + 1
