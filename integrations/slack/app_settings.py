"""The Slack app's settings: follow-up questions in threads, buttons, the Events API or Socket Mode."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode

from alertfleet.settings import SETTINGS_CONFIG, comma_list


class SlackAppSettings(BaseSettings):
    """SLACK_SIGNING_SECRET turns on the Events API routes; SLACK_APP_TOKEN opens Socket Mode instead."""

    model_config = SETTINGS_CONFIG

    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    # mention: answer `@alertfleet ...` in a thread under our post; all: any message in such a thread.
    slack_followups: Literal["mention", "all"] = Field(default="mention", alias="SLACK_FOLLOWUPS")
    # Channel ids or names (with or without #); empty: the channels alertfleet posts to.
    slack_followup_allowed_channels: Annotated[list[str], NoDecode] = Field(
        default_factory=list, alias="SLACK_FOLLOWUP_ALLOWED_CHANNELS"
    )

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token (xapp-...) with the connections:write scope")
        return value

    @field_validator("slack_followup_allowed_channels", mode="before")
    @classmethod
    def _channels(cls, value: Any) -> Any:
        return comma_list(value)

    @property
    def slack_app_enabled(self) -> bool:
        """Whether people can answer back (and so whether messages carry the buttons)."""
        return self.slack_signing_secret is not None or self.slack_app_token is not None
