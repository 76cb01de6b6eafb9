"""OpsGenie's settings: the alert poller's filters and the writer's mode."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode

from alertfleet.config_file import EnvName, StrictModel, WriteMode
from alertfleet.settings import SETTINGS_CONFIG, comma_list, parse_duration


class OpsGenieSettings(BaseSettings):
    """OPSGENIE_* variables, composed into the fleet's Settings by the registry."""

    model_config = SETTINGS_CONFIG

    opsgenie_api_key: SecretStr | None = Field(default=None, alias="OPSGENIE_API_KEY")
    opsgenie_api_url: str = Field(default="https://api.opsgenie.com", alias="OPSGENIE_API_URL")
    opsgenie_mode: Literal["read-only", "notes", "update"] = Field(default="notes", alias="OPSGENIE_MODE")
    opsgenie_priorities: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="OPSGENIE_PRIORITIES")
    opsgenie_tags: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="OPSGENIE_TAGS")
    opsgenie_teams: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="OPSGENIE_TEAMS")
    opsgenie_poll_interval: float = Field(default=60.0, ge=0.1, alias="OPSGENIE_POLL_INTERVAL")
    opsgenie_lookback: float = Field(default=24 * 3600.0, ge=0, alias="OPSGENIE_LOOKBACK")
    opsgenie_rate_limit: int = Field(default=100, ge=1, le=10_000, alias="OPSGENIE_RATE_LIMIT")
    # What `update` mode adds besides the note: tags, and a priority only when one is set.
    opsgenie_update_tags: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["alertfleet:investigated"], alias="OPSGENIE_UPDATE_TAGS"
    )
    opsgenie_update_priority: Literal["P1", "P2", "P3", "P4", "P5"] | None = Field(
        default=None, alias="OPSGENIE_UPDATE_PRIORITY"
    )

    @field_validator("opsgenie_priorities", "opsgenie_tags", "opsgenie_teams", "opsgenie_update_tags", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        return comma_list(value)

    @field_validator("opsgenie_priorities")
    @classmethod
    def _priorities(cls, value: list[str]) -> list[str]:
        normalised = [item.upper() for item in value]
        bad = [item for item in normalised if item not in {"P1", "P2", "P3", "P4", "P5"}]
        if bad:
            raise ValueError(f"{bad[0]!r} is not one of P1..P5 (e.g. P1,P2)")
        return normalised

    @field_validator("opsgenie_update_tags")
    @classmethod
    def _opsgenie_tags(cls, value: list[str]) -> list[str]:
        # OpsGenie's limits: at most 20 tags, each at most 50 characters.
        if len(value) > 20 or any(len(tag) > 50 for tag in value):
            raise ValueError("at most 20 tags of at most 50 characters each")
        return value

    @field_validator("opsgenie_mode", "opsgenie_update_priority", mode="before")
    @classmethod
    def _opsgenie_choice(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return (value.upper() if value[:1] in "pP" and len(value) == 2 else value.lower()) or None
        return value

    @field_validator("opsgenie_poll_interval", "opsgenie_lookback", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("opsgenie_api_url")
    @classmethod
    def _opsgenie_url(cls, value: str) -> str:
        # EU accounts use https://api.eu.opsgenie.com; the SDK appends /v2/... to the host as given.
        value = value.strip() or "https://api.opsgenie.com"
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")


class OpsGenieDestination(StrictModel):
    """`{type: opsgenie, mode, token_env}`: how to write back to the alert an event came from."""

    type: Literal["opsgenie"]
    mode: WriteMode | None = None
    token_env: EnvName | None = None
