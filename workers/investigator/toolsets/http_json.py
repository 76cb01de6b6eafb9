"""GET a JSON API (Prometheus, Alertmanager) with its headers and a timeout; failures become ToolErrors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from alertfleet.toolset_config import expanded_headers
from workers.investigator.toolsets import ToolError


def get_json(base_url: str, path: str, params: Any, headers: Mapping[str, str], timeout: float) -> Any:
    """One read-only GET; the server's own error text (Prometheus explains bad PromQL) reaches the model."""
    try:
        response = httpx.get(
            base_url + path, params=params, headers=expanded_headers(headers), timeout=timeout, follow_redirects=False
        )
    except httpx.TimeoutException:
        raise ToolError(f"{path}: no answer within {timeout:g}s") from None
    except httpx.HTTPError as exc:
        raise ToolError(f"{path}: {type(exc).__name__}: {exc}") from None
    if response.status_code >= 400:
        detail = response.text[:500]
        try:
            body = response.json()
            if isinstance(body, dict) and body.get("error"):
                detail = f"{body.get('errorType', '')}: {body['error']}".strip(": ")
        except ValueError:
            pass
        raise ToolError(f"{path}: HTTP {response.status_code}: {detail}")
    try:
        return response.json()
    except ValueError:
        raise ToolError(f"{path}: the answer is not JSON") from None
