"""Read-only tools the model may call, grouped in toolsets; each tool gets the event and its arguments.

A toolset is on when its settings are there (environment or the YAML `toolsets:`), and is then offered
whole; one that is off says why, for `alertfleet toolsets list` and the worker's start-up log line.
No tool writes anything anywhere: every one is a read (GET, list, describe, log tail, file read).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alertfleet.models import Event


class ToolError(Exception):
    """A failure the model should hear about as the tool's result (HTTP error, bad argument, refusal)."""


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]
    run: Callable[[Event, dict[str, Any]], str]
    timeout: float | None = None  # None: the loop's per-call default (ALERTFLEET_TOOL_TIMEOUT)
    keep_tail: bool = False  # a result over its cap keeps its end (logs: the newest lines), not its start

    def spec(self) -> dict[str, Any]:
        """The OpenAI tool schema litellm passes to every provider."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


@dataclass(frozen=True)
class Toolset:
    """One toolset as the worker sees it: on with its tools, or off with the reason."""

    name: str
    enabled: bool
    tools: tuple[Tool, ...] = ()
    reason: str = ""  # why it is off (or, for an MCP server, why it is unreachable)
    detail: str = ""  # where it points (URL, paths), never a secret
    # Lines for the prompt about this alert (the alert's expression, skills that match...).
    prompt: Callable[[Event], list[str]] | None = field(default=None, compare=False)


def params(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """A JSON schema for a tool's arguments: these properties, no others."""
    return {"type": "object", "properties": properties, "required": required or [], "additionalProperties": False}


def string_arg(arguments: dict[str, Any], name: str, *, required: bool = True, default: str = "") -> str:
    value = arguments.get(name, default)
    if value is None or value == "":
        if required:
            raise ToolError(f"argument {name!r} is required")
        return default
    if not isinstance(value, str | int | float):
        raise ToolError(f"argument {name!r} must be a string")
    return str(value)


def int_arg(arguments: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = arguments.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ToolError(f"argument {name!r} must be an integer") from None
    return max(low, min(high, number))


def default_tools() -> list[Tool]:
    """The tools every investigation has, whatever is configured."""
    from workers.investigator.toolsets.alert_group import ALERT_GROUP_TOOL

    return [ALERT_GROUP_TOOL]
