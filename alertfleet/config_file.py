"""The routing file as written: pydantic models that refuse unknown keys, bad matchers and bad values.

alertfleet.config resolves it (inheritance, references, secrets) into the tree routing evaluates.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from alertfleet.matchers import MatcherError, parse_matchers
from alertfleet.models import InvestigateMode

DESTINATION_TYPES = ("slack", "pagerduty", "opsgenie", "webhook")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 token
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_DURATION_UNITS = {None: 1.0, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
WriteMode = Literal["read-only", "notes", "update"]


class SlackDestination(_Strict):
    type: Literal["slack"]
    channel: str = Field(min_length=1)
    token_env: EnvName | None = None


class PagerDutyDestination(_Strict):
    type: Literal["pagerduty"]
    mode: WriteMode | None = None
    token_env: EnvName | None = None


class OpsGenieDestination(_Strict):
    type: Literal["opsgenie"]
    mode: WriteMode | None = None
    token_env: EnvName | None = None


class WebhookDestination(_Strict):
    type: Literal["webhook"]
    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    secret_env: EnvName | None = None  # the variable holding its HMAC signing key (X-Alertfleet-Signature)

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("headers")
    @classmethod
    def _header_syntax(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not _HEADER_NAME.match(name):
                raise ValueError(f"{name!r} is not a valid header name")
            if any(char in text for char in ";\r\n"):  # never echo the value: it may be a credential
                raise ValueError(f"header {name}: the value must not contain ';' or a line break")
        return value


DestinationSpec = SlackDestination | PagerDutyDestination | OpsGenieDestination | WebhookDestination
Destination = Annotated[DestinationSpec, Field(discriminator="type")]


class ModelSpec(_Strict):
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


class RouteSpec(_Strict):
    name: str | None = Field(default=None, min_length=1)
    matchers: list[Annotated[str, AfterValidator(_valid_matcher)]] = Field(default_factory=list)
    match: dict[str, str] = Field(default_factory=dict)
    match_re: dict[str, Annotated[str, AfterValidator(_valid_regex)]] = Field(default_factory=dict)
    continue_: bool = Field(default=False, alias="continue")
    investigate: InvestigateMode | None = None
    model: str | None = Field(default=None, min_length=1)
    max_steps: int | None = Field(default=None, ge=1, le=50)
    timeout: float | None = Field(default=None, gt=0)
    destinations: list[str] | None = None
    group_by: list[str] | None = None
    routes: list[RouteSpec] = Field(default_factory=list)

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout_duration(cls, value: Any) -> Any:
        return _duration(value)


class ToolSpec(_Strict):
    """Per-tool policy; `approval: true` makes a chat client approve each call (HolmesGPT's tool_decisions)."""

    approval: bool = False


class ConfigFile(_Strict):
    models: dict[str, str | ModelSpec] = Field(default_factory=dict)
    tools: dict[str, ToolSpec] = Field(default_factory=dict)
    destinations: dict[str, Destination] = Field(default_factory=dict)
    route: RouteSpec
