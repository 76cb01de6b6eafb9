"""Tool results capped to a share of the model's context window, so one answer cannot crowd out the rest.

litellm knows most models' context windows; for one it does not know, DEFAULT_CONTEXT_WINDOW is assumed.
A cut result says how much was cut, so the model knows to narrow its query rather than trust a part.
What litellm knows comes from model_info, which imports it only when first asked.
"""

from __future__ import annotations

from workers.investigator.model_info import count_tokens, model_info

DEFAULT_CONTEXT_WINDOW = 32_000
RESULT_SHARE = 0.1  # one result may take a tenth of the window
MIN_RESULT_TOKENS = 500


def context_window(model: str) -> int:
    info = model_info(model)
    return int(info.get("max_input_tokens") or info.get("max_tokens") or DEFAULT_CONTEXT_WINDOW)


def result_token_cap(model: str) -> int:
    return max(MIN_RESULT_TOKENS, int(context_window(model) * RESULT_SHARE))


def cap_result(text: str, model: str, cap: int, *, keep_tail: bool = False) -> str:
    """`text` if it fits in `cap` tokens; otherwise its start (or end) with a marker saying what was cut."""
    if len(text) <= cap:  # a token is at least one character: it fits
        return text
    sample = text[: cap * 16]  # more text than any cap's worth of tokens: counting the rest changes nothing
    total = count_tokens(model, sample)
    if len(sample) < len(text):
        total = int(total * len(text) / len(sample))
    if total <= cap:
        return text
    budget = cap - 60  # room for the marker
    keep = int(len(text) * budget / total)
    part = text[-keep:] if keep_tail else text[:keep]
    while keep > 0 and count_tokens(model, part) > budget:
        keep = int(keep * 0.85)
        part = text[-keep:] if keep_tail else text[:keep]
    marker = (
        f"[truncated: {len(text) - keep} of {len(text)} characters (about {total - count_tokens(model, part)} of "
        f"{total} tokens) cut to fit this model's tool-result budget of {cap} tokens; narrow the query for the rest]"
    )
    return f"{marker}\n{part}" if keep_tail else f"{part}\n{marker}"
