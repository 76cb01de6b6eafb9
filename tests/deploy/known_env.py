"""The environment names alertfleet knows — the one place deployment checks ask.

Today the settings class holds every setting; when vendor settings move behind
alertfleet/registry.py, `app_env_names` is the only function to point there.
"""

from __future__ import annotations

from alertfleet.settings import Settings

# Read by litellm itself (provider credentials and endpoints), not by the settings class.
PROVIDER_ENV = frozenset({"OPENAI_API_KEY", "OPENAI_API_BASE", "ANTHROPIC_API_KEY"})
# Process-level switches the image and chart set for every role.
PROCESS_ENV = frozenset({"LITELLM_LOCAL_MODEL_COST_MAP"})


def app_env_names() -> set[str]:
    """Every variable the settings class reads (its aliases)."""
    return {field.alias or name.upper() for name, field in Settings.model_fields.items()}


def deployable_env_names() -> set[str]:
    """What a deployment may set: the app's settings, provider variables and process switches."""
    return app_env_names() | PROVIDER_ENV | PROCESS_ENV
