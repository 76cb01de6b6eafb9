"""Read-only tools the model may call; each gets the event and its arguments, returns text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alertfleet.models import Event


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]
    run: Callable[[Event, dict[str, Any]], str]

    def spec(self) -> dict[str, Any]:
        """The OpenAI tool schema litellm passes to every provider."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


def default_tools() -> list[Tool]:
    from workers.investigator.toolsets.alert_group import ALERT_GROUP_TOOL

    return [ALERT_GROUP_TOOL]
