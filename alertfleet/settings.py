"""Environment-first settings; names follow the HolmesGPT deployment docs."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from alertfleet.headers import resolve_headers

_BLANK_INGEST_AUTH = "is set but empty (unset it to turn ingest authentication off, or give a token)"
_LIMIT = re.compile(r"^\d+\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day)s?$")


class SettingsError(Exception):
    """A bad setting: carries one readable line per problem, never a traceback."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# env_ignore_empty: `NAME=` (an .env line, a Compose `${NAME:-}`, an empty Helm value) means unset,
# never an empty token or URL. Every integration's settings mixin uses this same configuration.
SETTINGS_CONFIG = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore", env_ignore_empty=True)


class FleetSettings(BaseSettings):
    """The fleet's own settings. Each integration adds its own in a mixin (its `settings_model`); the
    registry composes them into `Settings`, which is what `load_settings` validates and returns."""

    model_config = SETTINGS_CONFIG

    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    model: str | None = Field(default=None, alias="MODEL")
    ingest_token: SecretStr | None = Field(default=None, alias="ALERTFLEET_INGEST_TOKEN")
    config_file: Path | None = Field(default=None, alias="ALERTFLEET_CONFIG")
    port: int = Field(default=8080, ge=1, le=65535, alias="ALERTFLEET_PORT")

    # Investigation bounds: the loop never runs unbounded, whatever the model does.
    max_steps: int = Field(default=8, ge=1, le=50, alias="ALERTFLEET_MAX_STEPS")
    llm_timeout: float = Field(default=60.0, gt=0, alias="ALERTFLEET_LLM_TIMEOUT")
    investigation_timeout: float = Field(default=300.0, gt=0, alias="ALERTFLEET_INVESTIGATION_TIMEOUT")
    # The structured verdict (confidence, outcome) costs one more model call per alert investigation;
    # Kubernaut's sessions always ask for it, alert investigations only when this says so.
    investigation_verdict: bool = Field(default=False, alias="ALERTFLEET_INVESTIGATION_VERDICT")
    # Economy (README "Cost, budgets and debounce"): tokens one investigation may spend before it must
    # answer, tokens the whole fleet may spend in any sliding hour (unset: no limit), and how long a new
    # problem waits before its investigation starts (a flap resolved inside it costs nothing).
    max_tokens_per_investigation: int = Field(default=200_000, ge=1, alias="ALERTFLEET_MAX_TOKENS_PER_INVESTIGATION")
    token_budget_per_hour: int | None = Field(default=None, ge=1, alias="ALERTFLEET_TOKEN_BUDGET_PER_HOUR")
    debounce: float = Field(default=0.0, ge=0, le=3600, alias="ALERTFLEET_DEBOUNCE")
    # Storm control: one investigation per problem (Alertmanager group) within this window.
    problem_window: int = Field(default=24 * 3600, ge=60, alias="ALERTFLEET_PROBLEM_WINDOW")
    # How long a delivered notification is remembered, so Alertmanager's re-sends are absorbed.
    dedup_ttl: int = Field(default=7 * 24 * 3600, ge=60, alias="ALERTFLEET_DEDUP_TTL")
    # Storm memory: a problem keeps at most this many alerts (firing and newest first), the rest counted.
    max_alerts_per_problem: int = Field(default=200, ge=1, le=100_000, alias="ALERTFLEET_MAX_ALERTS_PER_PROBLEM")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, alias="ALERTFLEET_MAX_BODY_BYTES")
    log_level: str = Field(default="INFO", alias="ALERTFLEET_LOG_LEVEL")
    # Delivery: global per-vendor limits ("vendor=1/second,other=60/minute"), retry horizon, leases.
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

    @field_validator("dlq_max_age", mode="before")
    @classmethod
    def _dlq_age(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str) else value


    # --- Investigation toolsets (the short form of the YAML `toolsets:`; the file wins) -------------
    prometheus_url: str | None = Field(default=None, alias="PROMETHEUS_URL")
    prometheus_headers: SecretStr | None = Field(default=None, alias="PROMETHEUS_HEADERS")
    kubeconfig: str | None = Field(default=None, alias="KUBECONFIG")
    skills_dir: str | None = Field(default=None, alias="ALERTFLEET_SKILLS_DIR")
    fetch_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, alias="ALERTFLEET_FETCH_ALLOWED_HOSTS"
    )
    # Every tool call has its own timeout; the calls of one model step run at most this many at a time.
    tool_timeout: float = Field(default=30.0, gt=0, le=600, alias="ALERTFLEET_TOOL_TIMEOUT")
    tool_concurrency: int = Field(default=4, ge=1, le=32, alias="ALERTFLEET_TOOL_CONCURRENCY")

    @field_validator("prometheus_url")
    @classmethod
    def _prometheus_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.strip().startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.strip().rstrip("/")

    @field_validator("prometheus_headers")
    @classmethod
    def _prometheus_headers(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        resolve_headers(value.get_secret_value())  # WEBHOOK_HEADERS syntax, ${VAR} checked at start-up
        return value

    @field_validator("fetch_allowed_hosts", mode="before")
    @classmethod
    def _allowed_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip().lower() for item in value.split(",") if item.strip()]
        return value

    def prometheus_header_map(self) -> dict[str, str]:
        return resolve_headers(self.prometheus_headers.get_secret_value() if self.prometheus_headers else None)

    # --- end of the toolsets block ------------------------------------------------------------------

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

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return optional_http_url(value)

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
                raise ValueError(f"{pair!r} is not vendor=N/period (e.g. {_limit_example()})")
        return value

    def rate_limit_overrides(self) -> dict[str, str]:
        """Limits set beyond the integrations' defaults: an integration's own setting (e.g. a vendor's
        `*_RATE_LIMIT`), and ALERTFLEET_RATE_LIMITS, which wins over both."""
        from alertfleet.registry import integrations

        overrides = {}
        for integration in integrations():
            limit = integration.limit(self)
            if limit is not None and limit != integration.rate_limit:
                overrides[integration.name] = limit.limit
        pairs = (part.strip().partition("=") for part in self.rate_limits.split(",") if part.strip())
        overrides.update({vendor.strip(): limit.strip() for vendor, _, limit in pairs})
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


def _limit_example() -> str:
    """`<vendor>=<its default limit>` of the first registered integration that declares one."""
    from alertfleet.registry import integrations

    declared = [(i.name, i.rate_limit.limit) for i in integrations() if i.rate_limit is not None]
    return "=".join(declared[0]) if declared else "vendor=1/second"


def optional_http_url(value: str | None) -> str | None:
    """An http(s) URL, or None when unset or empty."""
    if value in (None, ""):
        return None
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value


def comma_list(value: Any) -> Any:
    """`a, b,,c` -> ["a", "b", "c"] (lists pass through)."""
    return [item.strip() for item in value.split(",") if item.strip()] if isinstance(value, str) else value


def settings_class() -> type[FleetSettings]:
    """FleetSettings with every registered integration's settings (alertfleet.registry composes them)."""
    from alertfleet.registry import settings_class as composed  # the registry imports integrations

    return composed(FleetSettings)


def __getattr__(name: str) -> Any:
    # `Settings` is the composed class: built on first use, after the registry knows every integration.
    if name == "Settings":
        return settings_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _env_name(model: type[FleetSettings], field: str) -> str:
    info = model.model_fields.get(field)
    return info.alias if info is not None and info.alias else field.upper()


def load_settings() -> FleetSettings:
    """Read and validate the environment; raise SettingsError with one line per bad variable."""
    from alertfleet.registry import EXTRA_ENV, RegistryError

    # `NAME=` means unset for every other variable; an empty ingest token is refused instead, because
    # "no authentication" must never be what a blank secret silently turns into.
    token = os.environ.get("ALERTFLEET_INGEST_TOKEN")
    if token is not None and not token.strip():
        raise SettingsError([f"invalid setting ALERTFLEET_INGEST_TOKEN: {_BLANK_INGEST_AUTH}"])
    try:
        model = settings_class()
    except RegistryError as exc:
        raise SettingsError([f"invalid setting {EXTRA_ENV}: {exc}"]) from None
    try:
        return model()
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ".".join(_env_name(model, str(part)) for part in err["loc"]) or "settings"
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"invalid setting {name}: {message}")
        raise SettingsError(problems) from None


@lru_cache(maxsize=1)
def get_settings() -> FleetSettings:
    """Process-wide settings, read once (workers and ingest both start from here)."""
    return load_settings()
