"""Environment-first settings; names follow the HolmesGPT deployment docs."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from alertfleet.headers import resolve_headers

_BLANK_INGEST_AUTH = "is set but empty (unset it to turn ingest authentication off, or give a token)"
_LIMIT = re.compile(r"^\d+\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day)s?$")


class SettingsError(Exception):
    """A bad setting: carries one readable line per problem, never a traceback."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Settings(BaseSettings):
    """Everything the fleet reads from its environment."""

    # env_ignore_empty: `NAME=` (an .env line, a Compose `${NAME:-}`, an empty Helm value) means unset,
    # never an empty token or URL.
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore", env_ignore_empty=True)

    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    model: str | None = Field(default=None, alias="MODEL")
    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_channel: str | None = Field(default=None, alias="SLACK_CHANNEL")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    alertmanager_url: str | None = Field(default=None, alias="ALERTMANAGER_URL")
    ingest_token: SecretStr | None = Field(default=None, alias="ALERTFLEET_INGEST_TOKEN")
    config_file: Path | None = Field(default=None, alias="ALERTFLEET_CONFIG")
    port: int = Field(default=8080, ge=1, le=65535, alias="ALERTFLEET_PORT")

    # Investigation bounds: the loop never runs unbounded, whatever the model does.
    max_steps: int = Field(default=8, ge=1, le=50, alias="ALERTFLEET_MAX_STEPS")
    llm_timeout: float = Field(default=60.0, gt=0, alias="ALERTFLEET_LLM_TIMEOUT")
    investigation_timeout: float = Field(default=300.0, gt=0, alias="ALERTFLEET_INVESTIGATION_TIMEOUT")
    # Storm control: one investigation per problem (Alertmanager group) within this window.
    problem_window: int = Field(default=24 * 3600, ge=60, alias="ALERTFLEET_PROBLEM_WINDOW")
    # How long a delivered notification is remembered, so Alertmanager's re-sends are absorbed.
    dedup_ttl: int = Field(default=7 * 24 * 3600, ge=60, alias="ALERTFLEET_DEDUP_TTL")
    # Storm memory: a problem keeps at most this many alerts (firing and newest first), the rest counted.
    max_alerts_per_problem: int = Field(default=200, ge=1, le=100_000, alias="ALERTFLEET_MAX_ALERTS_PER_PROBLEM")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, alias="ALERTFLEET_MAX_BODY_BYTES")
    log_level: str = Field(default="INFO", alias="ALERTFLEET_LOG_LEVEL")
    # Delivery: global per-vendor limits ("slack=1/second,pagerduty=60/minute"), retry horizon, leases.
    rate_limits: str = Field(default="", alias="ALERTFLEET_RATE_LIMITS")
    write_max_retries: int = Field(default=12, ge=0, le=100, alias="ALERTFLEET_WRITE_MAX_RETRIES")
    lease_seconds: float = Field(default=15.0, ge=1, le=600, alias="ALERTFLEET_LEASE_SECONDS")
    # Dead letters are kept until replayed or dropped, but not without bound (oldest dropped first, counted).
    dlq_max_entries: int = Field(default=10_000, ge=1, alias="ALERTFLEET_DLQ_MAX_ENTRIES")
    dlq_max_age: float = Field(default=14 * 86400.0, ge=1, alias="ALERTFLEET_DLQ_MAX_AGE")
    public_url: str | None = Field(default=None, alias="ALERTFLEET_PUBLIC_URL")
    # Capacity: investigations wait on the model, so a worker holds many; writes have their own pool.
    # What bounds model calls is the fleet-wide limit per model (Redis), not a thread count.
    investigation_concurrency: int = Field(default=32, ge=1, le=1024, alias="ALERTFLEET_INVESTIGATION_CONCURRENCY")
    write_concurrency: int = Field(default=8, ge=1, le=256, alias="ALERTFLEET_WRITE_CONCURRENCY")
    llm_concurrency: int = Field(default=64, ge=1, le=100_000, alias="ALERTFLEET_LLM_CONCURRENCY")
    # `alertfleet flower`: user:password pairs, comma-separated (Flower reads the variable itself).
    flower_basic_auth: SecretStr | None = Field(default=None, alias="FLOWER_BASIC_AUTH")

    # --- HTTP API (chat, investigate, Kubernaut sessions, Robusta chat): these routes spend model money ---
    api_tokens: SecretStr | None = Field(default=None, alias="ALERTFLEET_API_TOKENS")
    api_allow_unauthenticated: bool = Field(default=False, alias="ALERTFLEET_API_ALLOW_UNAUTHENTICATED")
    api_wait: float = Field(default=300.0, gt=0, alias="ALERTFLEET_API_WAIT")
    session_ttl: int = Field(default=7 * 24 * 3600, ge=60, alias="ALERTFLEET_SESSION_TTL")
    cluster_name: str | None = Field(default=None, alias="CLUSTER_NAME")

    @field_validator("session_ttl", mode="before")
    @classmethod
    def _session_ttl(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str) else value

    def api_token_values(self) -> list[str]:
        """ALERTFLEET_API_TOKENS split on commas (empty entries ignored)."""
        raw = self.api_tokens.get_secret_value() if self.api_tokens else ""
        return [token.strip() for token in raw.split(",") if token.strip()]

    # --- end of the HTTP API block ----------------------------------------------------------------

    # --- PagerDuty: incidents in (poll + signed webhooks v3), investigations out as notes ----------
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
        return [item.strip() for item in value.split(",") if item.strip()] if isinstance(value, str) else value

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

    # --- end of the PagerDuty block ---------------------------------------------------------------

    # --- OpsGenie (poll source and writer) and the generic webhook destination ---------------------
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
    webhook_url: str | None = Field(default=None, alias="WEBHOOK_URL")
    webhook_headers: SecretStr | None = Field(default=None, alias="WEBHOOK_HEADERS")
    webhook_secret: SecretStr | None = Field(default=None, alias="WEBHOOK_SECRET")

    @field_validator("opsgenie_priorities", "opsgenie_tags", "opsgenie_teams", "opsgenie_update_tags", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

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

    @field_validator("opsgenie_poll_interval", "opsgenie_lookback", "dlq_max_age", mode="before")
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

    @field_validator("webhook_headers", "webhook_secret")
    @classmethod
    def _webhook_needs_url(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        # They belong to WEBHOOK_URL alone (named webhooks have their own): without it nothing would use them.
        if value is not None and value.get_secret_value().strip() and not info.data.get("webhook_url"):
            raise ValueError("is set but WEBHOOK_URL is not (it applies only to WEBHOOK_URL)")
        return value

    def webhook_header_map(self) -> dict[str, str]:
        """WEBHOOK_HEADERS parsed, with `${VAR}` references expanded from the environment."""
        return resolve_headers(self.webhook_headers.get_secret_value() if self.webhook_headers else None)

    # --- end of the OpsGenie / webhook block ------------------------------------------------------

    @field_validator("ingest_token")
    @classmethod
    def _ingest_token(cls, value: SecretStr | None) -> SecretStr | None:
        # Set but empty would accept `Authorization: Bearer ` with nothing after it: refuse, never guess.
        if value is not None and not value.get_secret_value().strip():
            raise ValueError(_BLANK_INGEST_AUTH)
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        allowed = ("redis://", "rediss://", "unix://", "redis+socket://")
        if not value.startswith(allowed):
            raise ValueError(f"must start with one of {', '.join(allowed)}")
        return value

    @field_validator("slack_api_url", "alertmanager_url", "public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str | None) -> str:
        # slack-sdk joins method names onto base_url, so it must end with a slash.
        value = value or "https://slack.com/api/"
        return value if value.endswith("/") else value + "/"

    @field_validator("config_file")
    @classmethod
    def _config_exists(cls, value: Path | None) -> Path | None:
        if value is not None and str(value) and not value.is_file():
            raise ValueError(f"file {str(value)!r} does not exist")
        return value or None

    @field_validator("rate_limits")
    @classmethod
    def _rate_limits(cls, value: str) -> str:
        for pair in filter(None, (part.strip() for part in value.split(","))):
            vendor, sep, limit = pair.partition("=")
            if not sep or not vendor.strip() or not _LIMIT.match(limit.strip()):
                raise ValueError(f"{pair!r} is not vendor=N/period (e.g. slack=1/second)")
        return value

    def rate_limit_overrides(self) -> dict[str, str]:
        pairs = (part.strip().partition("=") for part in self.rate_limits.split(",") if part.strip())
        overrides = {vendor.strip(): limit.strip() for vendor, _, limit in pairs}
        overrides.setdefault("pagerduty", f"{self.pagerduty_rate_limit}/minute")  # ALERTFLEET_RATE_LIMITS wins
        overrides.setdefault("opsgenie", f"{self.opsgenie_rate_limit}/minute")
        return overrides

    def llm_requests_limit(self) -> str | None:
        """`llm=500/minute` of ALERTFLEET_RATE_LIMITS: model requests per window, per model, fleet-wide."""
        return self.rate_limit_overrides().get("llm")

    @field_validator("flower_basic_auth")
    @classmethod
    def _basic_auth(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        for pair in value.get_secret_value().split(","):
            user, sep, password = pair.partition(":")
            if not sep or not user.strip() or not password:
                raise ValueError("must be user:password (several separated by commas)")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    @property
    def celery_broker_url(self) -> str:
        """kombu spells a unix socket `redis+socket://`; redis-py spells it `unix://`."""
        url = self.redis_url or "redis://127.0.0.1:6379/0"
        if url.startswith("unix://"):
            return "redis+socket://" + url.removeprefix("unix://")
        return url

    @property
    def redis_client_url(self) -> str:
        url = self.redis_url or "redis://127.0.0.1:6379/0"
        if url.startswith("redis+socket://"):
            return "unix://" + url.removeprefix("redis+socket://")
        return url


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Seconds from `90`, `90s`, `90m`, `24h` or `7d`."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError("must be seconds or a duration such as 90s, 90m, 24h, 7d")
    return float(match.group(1)) * _DURATION_UNITS[match.group(2).lower()]


def _env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    return info.alias if info is not None and info.alias else field.upper()


def load_settings() -> Settings:
    """Read and validate the environment; raise SettingsError with one line per bad variable."""
    # `NAME=` means unset for every other variable; an empty ingest token is refused instead, because
    # "no authentication" must never be what a blank secret silently turns into.
    token = os.environ.get("ALERTFLEET_INGEST_TOKEN")
    if token is not None and not token.strip():
        raise SettingsError([f"invalid setting ALERTFLEET_INGEST_TOKEN: {_BLANK_INGEST_AUTH}"])
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ".".join(_env_name(str(part)) for part in err["loc"]) or "settings"
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"invalid setting {name}: {message}")
        raise SettingsError(problems) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once (workers and ingest both start from here)."""
    return load_settings()
