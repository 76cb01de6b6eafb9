"""Jira's settings, as HolmesGPT names them: JIRA_URL, JIRA_USERNAME, JIRA_API_TOKEN, JIRA_PROJECT or JIRA_JQL."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings

from alertfleet.config_file import StrictModel
from alertfleet.settings import SETTINGS_CONFIG, optional_http_url, parse_duration

JiraMode = Literal["read-only", "comment"]


def write_mode(value: Any) -> Any:
    """`readonly`, `READ_ONLY`, ` comment ` -> the canonical spelling."""
    if isinstance(value, str):
        value = value.strip().lower().replace("_", "-")
        return "read-only" if value == "readonly" else value
    return value


class JiraSettings(BaseSettings):
    """JIRA_* variables, composed into the fleet's Settings by the registry."""

    model_config = SETTINGS_CONFIG

    # The API base (Jira Cloud's site URL, or a relay/stub: http:// is accepted on purpose).
    jira_url: str | None = Field(default=None, alias="JIRA_URL")
    # Each validated after JIRA_URL (field order): with JIRA_URL set, the source needs them all.
    jira_username: str | None = Field(default=None, alias="JIRA_USERNAME", validate_default=True)
    jira_api_token: SecretStr | None = Field(default=None, alias="JIRA_API_TOKEN", validate_default=True)
    jira_project: str | None = Field(default=None, alias="JIRA_PROJECT")
    jira_jql: str | None = Field(default=None, alias="JIRA_JQL", validate_default=True)
    jira_poll_interval: float = Field(default=60.0, ge=0.1, alias="JIRA_POLL_INTERVAL")
    jira_lookback: float = Field(default=24 * 3600.0, ge=0, alias="JIRA_LOOKBACK")
    jira_mode: JiraMode = Field(default="comment", alias="JIRA_MODE")
    # Jira Cloud's documented budget for a REST client; poller and writer draw on it together.
    jira_rate_limit: int = Field(default=100, ge=1, alias="JIRA_RATE_LIMIT")

    @field_validator("jira_url")
    @classmethod
    def _jira_url(cls, value: str | None) -> str | None:
        url = optional_http_url((value or "").strip())
        return url.rstrip("/") if url else None

    @field_validator("jira_username", "jira_project", "jira_jql")
    @classmethod
    def _jira_blank_is_unset(cls, value: str | None, info: ValidationInfo) -> str | None:
        value = (value or "").strip() or None
        if value is None and info.data.get("jira_url"):
            if info.field_name == "jira_username":
                raise ValueError("required with JIRA_URL (the email address of the API token's account)")
            if info.field_name == "jira_jql" and not info.data.get("jira_project"):
                raise ValueError("JIRA_URL is set: set JIRA_PROJECT or JIRA_JQL (which issues to investigate)")
        return value

    @field_validator("jira_api_token")
    @classmethod
    def _jira_token_with_url(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if (value is None or not value.get_secret_value().strip()) and info.data.get("jira_url"):
            raise ValueError("required with JIRA_URL (an API token from id.atlassian.com)")
        return value

    @field_validator("jira_mode", mode="before")
    @classmethod
    def _jira_mode(cls, value: Any) -> Any:
        return write_mode(value)

    @field_validator("jira_poll_interval", "jira_lookback", mode="before")
    @classmethod
    def _jira_duration(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str) else value

    def jira_configured(self) -> bool:
        return bool(self.jira_url and self.jira_username and self.jira_api_token)


class JiraDestination(StrictModel):
    """`{type: jira, mode}`: how to write back to the Jira issue an event came from."""

    type: Literal["jira"]
    mode: JiraMode | None = None

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, value: Any) -> Any:
        return write_mode(value)
