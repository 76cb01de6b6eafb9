"""GitHub's settings, as HolmesGPT names them: GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_LABELS, ..."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode

from alertfleet.config_file import EnvName, StrictModel
from alertfleet.settings import SETTINGS_CONFIG, comma_list, parse_duration
from integrations.jira.settings import write_mode

GitHubMode = Literal["read-only", "comment"]
REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")


class GitHubSettings(BaseSettings):
    """GITHUB_* variables, composed into the fleet's Settings by the registry."""

    model_config = SETTINGS_CONFIG

    github_token: SecretStr | None = Field(default=None, alias="GITHUB_TOKEN")
    # After the token (field order): polling a repository needs one.
    github_repository: str | None = Field(default=None, alias="GITHUB_REPOSITORY")
    github_labels: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="GITHUB_LABELS")
    # GitHub Enterprise Server: https://HOST/api/v3; http:// is accepted for relays and tests.
    github_api_url: str = Field(default="https://api.github.com", alias="GITHUB_API_URL")
    github_webhook_secret: SecretStr | None = Field(default=None, alias="GITHUB_WEBHOOK_SECRET")
    github_mode: GitHubMode = Field(default="comment", alias="GITHUB_MODE")
    github_poll_interval: float = Field(default=60.0, ge=0.1, alias="GITHUB_POLL_INTERVAL")
    github_lookback: float = Field(default=24 * 3600.0, ge=0, alias="GITHUB_LOOKBACK")
    # GitHub's budget for a token (requests per hour), shared by the poller and the writer fleet-wide.
    github_rate_limit: int = Field(default=5000, ge=1, alias="GITHUB_RATE_LIMIT")

    @field_validator("github_repository")
    @classmethod
    def _github_repository(cls, value: str | None, info: ValidationInfo) -> str | None:
        value = (value or "").strip().strip("/") or None
        if value is None:
            return None
        if not REPOSITORY.match(value):
            raise ValueError("must be owner/repo, e.g. acme/payments")
        if info.data.get("github_token") is None:
            raise ValueError("polling a repository needs GITHUB_TOKEN")
        return value

    @field_validator("github_labels", mode="before")
    @classmethod
    def _github_labels(cls, value: Any) -> Any:
        return comma_list(value)

    @field_validator("github_api_url")
    @classmethod
    def _github_api_url(cls, value: str) -> str:
        value = value.strip() or "https://api.github.com"
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("github_mode", mode="before")
    @classmethod
    def _github_mode(cls, value: Any) -> Any:
        return write_mode(value)

    @field_validator("github_poll_interval", "github_lookback", mode="before")
    @classmethod
    def _github_duration(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str) else value


class GitHubDestination(StrictModel):
    """`{type: github, mode, token_env}`: how to write back to the GitHub issue an event came from."""

    type: Literal["github"]
    mode: GitHubMode | None = None
    token_env: EnvName | None = None

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, value: Any) -> Any:
        return write_mode(value)
