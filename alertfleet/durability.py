"""Start-up check of the Redis settings that durability depends on (a warning, not a refusal)."""

from __future__ import annotations

from collections.abc import Mapping

# What production needs: every acknowledged notification survives a Redis restart, and Redis
# refuses writes (so ingest answers 503) rather than evicting queued work when memory runs out.
REQUIRED = {
    "appendonly": ({"yes"}, "set `appendonly yes` so acknowledged work survives a Redis restart"),
    "appendfsync": ({"everysec", "always"}, "set `appendfsync everysec` (or always)"),
    "maxmemory-policy": ({"noeviction"}, "set `maxmemory-policy noeviction` so queued work is never evicted"),
}


def durability_warnings(config: Mapping[str, str]) -> list[str]:
    """One warning per missing setting; `config` is CONFIG GET's answer (empty if CONFIG is disabled)."""
    if not config:
        return ["could not read Redis CONFIG (managed Redis?): make sure AOF and noeviction are on"]
    warnings = []
    for name, (allowed, advice) in REQUIRED.items():
        value = config.get(name)
        if value is not None and value not in allowed:
            warnings.append(f"redis {name}={value}: {advice}")
    return warnings


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def normalise(raw: Mapping[object, object]) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in raw.items()}
