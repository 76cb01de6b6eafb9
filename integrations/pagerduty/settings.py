"""PagerDuty's settings: incidents in (poll + signed webhooks v3), investigations out as notes."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode

from alertfleet.config_file import EnvName, StrictModel, WriteMode
from alertfleet.settings import SETTINGS_CONFIG, comma_list, parse_duration


class PagerDutySettings(BaseSettings):
    """PAGERDUTY_* variables, composed into the fleet's Settings by the registry."""

    model_config = SETTINGS_CONFIG

    pagerduty_api_key: SecretStr | None = Field(default=None, alias="PAGERDUTY_API_KEY")
    pagerduty_api_url: str = Field(default="https://api.pagerduty.com", alias="PAGERDUTY_API_URL")
    pagerduty_mode: Literal["read-only", "notes", "update"] = Field(default="notes", alias="PAGERDUTY_MODE")
    # After key and mode: its validator needs both (PagerDuty refuses notes without a `From` user).
    pagerduty_user_email: str | None = Field(default=None, alias="PAGERDUTY_USER_EMAIL", validate_default=True)
    pagerduty_poll_interval: float = Field(default=60.0, ge=0.1, alias="PAGERDUTY_POLL_INTERVAL")
    pagerduty_lookback: float = Field(default=24 * 3600.0, ge=0, alias="PAGERDUTY_LOOKBACK")
    pagerduty_webhook_secret: SecretStr | None = Field(default=None, alias="PAGERDUTY_WEBHOOK_SECRET")
    pagerduty_rate_limit: int = Field(default=60, ge=1, alias="PAGERDUTY_RATE_LIMIT")
    pagerduty_service_ids: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="PAGERDUTY_SERVICE_IDS")
    pagerduty_urgencies: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="PAGERDUTY_URGENCIES")
    # What `update` mode changes besides the note (urgency, priority, title), and severity -> priority.
    pagerduty_update_fields: Annotated[list[str], NoDecode] = Field(
        default_factory=list, alias="PAGERDUTY_UPDATE_FIELDS"
    )
    pagerduty_priority_map: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, alias="PAGERDUTY_PRIORITY_MAP"
    )

    @field_validator("pagerduty_api_url")
    @classmethod
    def _pagerduty_url(cls, value: str) -> str:
        # http:// on purpose (local relays, test stubs): integrations/pagerduty/client.py accepts it.
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("pagerduty_mode", mode="before")
    @classmethod
    def _pagerduty_mode(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower().replace("_", "-")
            return "read-only" if value == "readonly" else value
        return value

    @field_validator("pagerduty_user_email")
    @classmethod
    def _pagerduty_from(cls, value: str | None, info: ValidationInfo) -> str | None:
        value = (value or "").strip() or None
        writes = info.data.get("pagerduty_mode", "notes") != "read-only"
        if value is None and info.data.get("pagerduty_api_key") is not None and writes:
            raise ValueError("required with PAGERDUTY_API_KEY unless PAGERDUTY_MODE=read-only (notes need a From user)")
        if value is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+", value):
            raise ValueError("must be the email address of a PagerDuty user")
        return value

    @field_validator("pagerduty_poll_interval", "pagerduty_lookback", mode="before")
    @classmethod
    def _pagerduty_lookback(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("pagerduty_service_ids", "pagerduty_urgencies", "pagerduty_update_fields", mode="before")
    @classmethod
    def _pagerduty_list(cls, value: Any) -> Any:
        return comma_list(value)

    @field_validator("pagerduty_urgencies", "pagerduty_update_fields")
    @classmethod
    def _pagerduty_choices(cls, value: list[str], info: ValidationInfo) -> list[str]:
        allowed = ("high", "low") if info.field_name == "pagerduty_urgencies" else ("urgency", "priority", "title")
        value = list(dict.fromkeys(item.lower() for item in value))
        unknown = [item for item in value if item not in allowed]
        if unknown:
            raise ValueError(f"unknown {', '.join(unknown)}; allowed: {', '.join(allowed)}")
        return value

    @field_validator("pagerduty_priority_map", mode="before")
    @classmethod
    def _pagerduty_priority_map(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        mapping = {}
        for pair in filter(None, (part.strip() for part in value.split(","))):
            severity, sep, priority = pair.partition("=")
            if not sep or not severity.strip() or not priority.strip():
                raise ValueError(f"{pair!r} is not severity=priority (e.g. critical=P1,warning=P3)")
            mapping[severity.strip().lower()] = priority.strip()
        return mapping


class PagerDutyDestination(StrictModel):
    """`{type: pagerduty, mode, token_env}`: how to write back to the incident an event came from."""

    type: Literal["pagerduty"]
    mode: WriteMode | None = None
    token_env: EnvName | None = None
