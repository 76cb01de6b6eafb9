"""Alertmanager's settings: where `alertfleet investigate alertmanager` pulls alerts from."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from alertfleet.settings import SETTINGS_CONFIG, optional_http_url


class AlertmanagerSettings(BaseSettings):
    """ALERTMANAGER_URL, composed into the fleet's Settings by the registry."""

    model_config = SETTINGS_CONFIG

    alertmanager_url: str | None = Field(default=None, alias="ALERTMANAGER_URL")

    @field_validator("alertmanager_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return optional_http_url(value)
