"""The structured verdict asked for at the end of every investigation: one small extra model call.

Kubernaut needs `confidence` (0-1) and an outcome it can act on; alertfleet's own investigations
carry the same fields. A model that cannot give one yields the `inconclusive` verdict, never an error.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import jsonschema
from pydantic import BaseModel, Field

from workers.investigator.loop import LoopLimits, ModelUnavailable, _complete

Outcome = Literal["actionable", "resolved", "benign", "inconclusive"]
OUTCOMES: tuple[str, ...] = ("actionable", "resolved", "benign", "inconclusive")

VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "investigation_outcome": {"type": "string", "enum": list(OUTCOMES)},
        "actionable": {"type": "boolean"},
        "root_cause": {"type": "string"},
    },
    "required": ["confidence", "investigation_outcome", "actionable", "root_cause"],
    "additionalProperties": False,
}

VERDICT_PROMPT = """You grade an alert investigation. Read it and answer with only a JSON object:
{"confidence": <0..1, how sure the investigation is of its root cause>,
 "investigation_outcome": "actionable" (a cause was found and someone must act) | "resolved" (the problem is gone)
   | "benign" (nothing needs doing) | "inconclusive" (the data does not support a conclusion),
 "actionable": <true when an engineer should act now>,
 "root_cause": "<the root cause in one sentence>"}"""


class Verdict(BaseModel):
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    investigation_outcome: Outcome = "inconclusive"
    actionable: bool = False
    root_cause: str = ""


INCONCLUSIVE = Verdict()


def ask_verdict(model: str, analysis: str, limits: LoopLimits) -> Verdict:
    """One call with a JSON-schema response format; anything unusable is the inconclusive verdict."""
    messages = [{"role": "system", "content": VERDICT_PROMPT}, {"role": "user", "content": analysis[:20_000]}]
    response_format = {"type": "json_schema", "json_schema": {"name": "verdict", "schema": VERDICT_SCHEMA}}
    try:
        response = _complete(model, messages, limits, response_format=response_format)
        value = json.loads(response.choices[0].message.content or "")
        jsonschema.validate(value, VERDICT_SCHEMA)
    except (ModelUnavailable, ValueError, jsonschema.ValidationError, AttributeError, IndexError):
        return INCONCLUSIVE
    return Verdict.model_validate(value)
