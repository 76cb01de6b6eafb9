"""`WEBHOOK_HEADERS` syntax: `"Name: value; Other: ${ENV_VAR}"`, parsed once for settings, writers and logs."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 token
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Values of these headers say nothing secret; masking them would only garble the logs.
_PLAIN_HEADERS = {"content-type", "accept", "user-agent"}


def check_header_map(headers: dict[str, str], forbidden: str = "\r\n") -> dict[str, str]:
    """A YAML `headers:` mapping: valid names, no forbidden characters in values (which are never echoed)."""
    for name, text in headers.items():
        if not _HEADER_NAME.match(name):
            raise ValueError(f"{name!r} is not a valid header name")
        if any(char in text for char in forbidden):
            shown = " or ".join("a line break" if c in "\r\n" else repr(c) for c in dict.fromkeys(forbidden.replace("\r", "\n")))
            raise ValueError(f"header {name}: the value must not contain {shown}")
    return headers


def parse_header_pairs(text: str) -> list[tuple[str, str]]:
    """Split `Name: value` pairs on `;`; raise ValueError naming the first malformed pair."""
    pairs: list[tuple[str, str]] = []
    for index, chunk in enumerate(text.split(";"), start=1):
        if not chunk.strip():
            continue
        name, sep, value = chunk.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or not _HEADER_NAME.match(name):
            # Never echo the pair: it may hold a credential.
            raise ValueError(f"pair {index} is not 'Name: value' (pairs are separated by ';')")
        if "\r" in value or "\n" in value:
            raise ValueError(f"header {name} has a line break in its value")
        pairs.append((name, value))
    return pairs


def expand_env(value: str, environ: Mapping[str, str]) -> str:
    """Replace `${VAR}` with the variable's value; an unset variable is an error, not an empty string."""

    def _sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise ValueError(f"${{{name}}} is referenced but not set")
        return environ[name]

    return _ENV_REF.sub(_sub, value)


def resolve_headers(text: str | None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Parsed and expanded headers, ready to send."""
    if not text:
        return {}
    env = os.environ if environ is None else environ
    return {name: expand_env(value, env) for name, value in parse_header_pairs(text)}


def secret_values(headers: Mapping[str, str]) -> list[str]:
    """What the log redactor must mask: each credential-bearing value, and its token after a scheme."""
    values: list[str] = []
    for name, value in headers.items():
        if name.lower() in _PLAIN_HEADERS or not value:
            continue
        values.append(value)
        _scheme, _, credential = value.partition(" ")
        if credential.strip():
            values.append(credential.strip())
    return values
