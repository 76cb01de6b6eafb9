"""The routing file as written: pydantic models that refuse unknown keys, bad matchers and bad values.

alertfleet.config resolves it (inheritance, references, secrets) into the tree routing evaluates.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, create_model, field_validator

from alertfleet.matchers import MatcherError, parse_matchers
from alertfleet.models import InvestigateMode
from alertfleet.toolset_config import McpServerSpec, ToolsetsSpec

ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_DURATION_UNITS = {None: 1.0, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class StrictModel(BaseModel):
    """A config block: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
WriteMode = Literal["read-only", "notes", "update"]


class ModelSpec(StrictModel):
    """A named model; its limits (fleet-wide, per litellm model id) default to the environment's."""

    model: str = Field(min_length=1)
    concurrency: int | None = Field(default=None, ge=1)  # calls in flight (ALERTFLEET_LLM_CONCURRENCY)
    rpm: int | None = Field(default=None, ge=1)  # requests per minute (`llm=` of ALERTFLEET_RATE_LIMITS)
    tpm: int | None = Field(default=None, ge=1)  # tokens per minute


def _valid_matcher(text: str) -> str:
    try:
        parse_matchers(text)
    except MatcherError as exc:
        raise ValueError(str(exc)) from None
    return text


def _valid_regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as exc:
        raise ValueError(f"invalid regex {text!r}: {exc}") from None
    return text


def _duration(value: Any) -> Any:
    if isinstance(value, str):
        found = _DURATION.match(value)
        if found is None:
            raise ValueError("must be seconds or a duration such as 30s, 2m")
        return float(found.group(1)) * _DURATION_UNITS[found.group(2)]
    return value


class RouteSpec(StrictModel):
    name: str | None = Field(default=None, min_length=1)
    matchers: list[Annotated[str, AfterValidator(_valid_matcher)]] = Field(default_factory=list)
    match: dict[str, str] = Field(default_factory=dict)
    match_re: dict[str, Annotated[str, AfterValidator(_valid_regex)]] = Field(default_factory=dict)
    continue_: bool = Field(default=False, alias="continue")
    investigate: InvestigateMode | None = None
    model: str | None = Field(default=None, min_length=1)
    max_steps: int | None = Field(default=None, ge=1, le=50)
    max_tokens: int | None = Field(default=None, ge=1)  # ALERTFLEET_MAX_TOKENS_PER_INVESTIGATION per route
    timeout: float | None = Field(default=None, gt=0)
    destinations: list[str] | None = None
    group_by: list[str] | None = None
    toolsets: list[str] | None = None  # the toolsets this route's investigations may use (inherited)
    routes: list[RouteSpec] = Field(default_factory=list)

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout_duration(cls, value: Any) -> Any:
        return _duration(value)


class ToolSpec(StrictModel):
    """Per-tool policy; `approval: true` makes a chat client approve each call (HolmesGPT's tool_decisions)."""

    approval: bool = False


class ConfigFile(StrictModel):
    """The whole file; `destinations` holds each integration's own destination model (by `type:`)."""

    models: dict[str, str | ModelSpec] = Field(default_factory=dict)
    tools: dict[str, ToolSpec] = Field(default_factory=dict)
    destinations: dict[str, Any] = Field(default_factory=dict)
    toolsets: ToolsetsSpec = Field(default_factory=ToolsetsSpec)
    mcp_servers: dict[str, McpServerSpec] = Field(default_factory=dict)
    route: RouteSpec


def destination_types() -> list[str]:
    """The `type:` values a destination may have: the registered integrations that write."""
    from alertfleet.registry import destination_models

    return [_type_of(model) for model in destination_models()]


def _type_of(model: type[BaseModel]) -> str:
    return str(model.model_fields["type"].annotation.__args__[0])  # type: ignore[union-attr]


@lru_cache(maxsize=8)
def _config_file_model(models: tuple[type[BaseModel], ...]) -> type[ConfigFile]:
    union: Any = Union.__getitem__(models) if len(models) > 1 else models[0]
    destination = Annotated[union, Field(discriminator="type")] if len(models) > 1 else union
    return create_model(
        "ConfigFile",
        __base__=ConfigFile,
        destinations=(dict[str, destination], Field(default_factory=dict)),  # type: ignore[valid-type]
    )


def config_file_model() -> type[ConfigFile]:
    """ConfigFile with `destinations:` validated against every registered integration's model."""
    from alertfleet.registry import destination_models

    return _config_file_model(tuple(destination_models()))
