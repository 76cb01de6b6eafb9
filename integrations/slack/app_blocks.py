"""The buttons under an investigation message, and what a click on one means."""

from __future__ import annotations

from typing import Any, Literal

REINVESTIGATE = "alertfleet_reinvestigate"
HELPFUL = "alertfleet_helpful"
NOT_HELPFUL = "alertfleet_not_helpful"
ACTIONS = frozenset({REINVESTIGATE, HELPFUL, NOT_HELPFUL})
FEEDBACK_VALUES: dict[str, Literal["helpful", "not_helpful"]] = {HELPFUL: "helpful", NOT_HELPFUL: "not_helpful"}


def actions_block(investigation_id: str) -> dict[str, Any]:
    """Re-investigate, Helpful, Not helpful; each carries the investigation id as its value."""

    def button(text: str, action_id: str, style: str | None = None) -> dict[str, Any]:
        element: dict[str, Any] = {
            "type": "button",
            "text": {"type": "plain_text", "text": text, "emoji": True},
            "action_id": action_id,
            "value": investigation_id,
        }
        if style:
            element["style"] = style
        return element

    return {
        "type": "actions",
        "block_id": "alertfleet_actions",
        "elements": [
            button(":arrows_counterclockwise: Re-investigate", REINVESTIGATE, "primary"),
            button(":thumbsup: Helpful", HELPFUL),
            button(":thumbsdown: Not helpful", NOT_HELPFUL),
        ],
    }
