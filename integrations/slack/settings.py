"""Slack's settings, as HolmesGPT names them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from alertfleet.config_file import EnvName, StrictModel
from alertfleet.settings import SETTINGS_CONFIG, optional_http_url
from integrations.slack.app_settings import SlackAppSettings


class SlackSettings(SlackAppSettings):
    """SLACK_* variables, composed into the fleet's Settings by the registry."""

    model_config = SETTINGS_CONFIG

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_channel: str | None = Field(default=None, alias="SLACK_CHANNEL")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str | None) -> str:
        # slack-sdk joins method names onto base_url, so it must end with a slash.
        value = optional_http_url(value) or "https://slack.com/api/"
        return value if value.endswith("/") else value + "/"

    @model_validator(mode="after")
    def _app_needs_bot_token(self) -> SlackSettings:
        # Follow-up answers and the old findings are posted with the bot token: without it nothing could answer.
        if self.slack_app_enabled and self.slack_bot_token is None:
            raise ValueError("SLACK_SIGNING_SECRET / SLACK_APP_TOKEN (the Slack app) need SLACK_BOT_TOKEN too")
        return self


class SlackDestination(StrictModel):
    """`destinations.<name>: {type: slack, channel, token_env}` in the routing file."""

    type: Literal["slack"]
    channel: str = Field(min_length=1)
    token_env: EnvName | None = None
