"""The generic webhook destination's settings (WEBHOOK_URL and what it is sent with)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

from alertfleet.config_file import EnvName, StrictModel
from alertfleet.headers import resolve_headers
from alertfleet.settings import SETTINGS_CONFIG

_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 token


class WebhookSettings(BaseSettings):
    """WEBHOOK_URL, WEBHOOK_HEADERS, WEBHOOK_SECRET, composed into the fleet's Settings by the registry."""

    model_config = SETTINGS_CONFIG

    webhook_url: str | None = Field(default=None, alias="WEBHOOK_URL")
    webhook_headers: SecretStr | None = Field(default=None, alias="WEBHOOK_HEADERS")
    webhook_secret: SecretStr | None = Field(default=None, alias="WEBHOOK_SECRET")

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.strip()

    @field_validator("webhook_headers")
    @classmethod
    def _webhook_headers(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        resolve_headers(value.get_secret_value())  # syntax and ${VAR} references, checked at start-up
        return value

    def webhook_header_map(self) -> dict[str, str]:
        """WEBHOOK_HEADERS parsed, with `${VAR}` references expanded from the environment."""
        return resolve_headers(self.webhook_headers.get_secret_value() if self.webhook_headers else None)


class WebhookDestination(StrictModel):
    """`{type: webhook, url, headers, secret_env}`: a POST of the investigation to a URL."""

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
