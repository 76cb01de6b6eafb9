"""Robusta's Holmes chat API (seed 004): `POST /api/holmes/{account_id}/chat`, JSON or SSE.

The fleet serves one cluster: CLUSTER_NAME when set (a request for another cluster is 404, as
Robusta answers for a cluster not connected to the account), else whatever the client names.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute

from alertfleet.api_models import RobustaChatRequest, RobustaChatResponse
from ingest.api_auth import check_api_token, presented_token, token_matches
from ingest.api_support import COMMON_PROBLEMS, SSE_CONTENT, answer, problems, submit
from ingest.deps import ingest_state
from ingest.problems import Problem, invalid_payload


class BadRequestRoute(APIRoute):
    """Robusta answers an invalid body with 400 (FastAPI's default is 422); the problem says the same."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                invalid = invalid_payload(list(exc.errors()))
                raise Problem(400, "Bad Request", invalid.detail, invalid.kind, extra=invalid.extra) from None

        return handle


router = APIRouter(tags=["robusta"], route_class=BadRequestRoute)

_PAYLOAD_CLUSTER_FIELDS = ("cluster_name", "cluster", "cluster_id", "source")


async def _robusta_auth(request: Request) -> None:
    """401 for a missing or unknown key; 403 for the webhook token, which is a key without API permission."""
    state = ingest_state(request)
    settings = state.settings
    ingest_token = settings.ingest_token.get_secret_value() if settings.ingest_token else None
    presented = presented_token(request.headers)
    known_elsewhere = presented and ingest_token and token_matches(presented, [ingest_token])
    if known_elsewhere and not token_matches(str(presented), settings.api_token_values()):
        raise Problem(403, "Forbidden", "this key may send webhooks, not use the Holmes API", "forbidden")
    check_api_token(settings, state.listen_host, request.headers)


def _payload_cluster(payload: dict[str, Any] | None) -> str | None:
    if not payload:
        return None
    for source in (payload, payload.get("labels") or {}, payload.get("annotations") or {}):
        if isinstance(source, dict):
            for name in _PAYLOAD_CLUSTER_FIELDS:
                value = source.get(name)
                if isinstance(value, str) and value:
                    return value
    return None


def resolve_cluster(body: RobustaChatRequest, configured: str | None) -> str:
    cluster = body.cluster_id or _payload_cluster(body.payload) or configured or "default"
    if configured and body.cluster_id and body.cluster_id != configured:
        raise Problem(
            404,
            "Not Found",
            f"cluster {body.cluster_id!r} is not connected; connected clusters: {configured}",
            "cluster-not-found",
        )
    return cluster


@router.post(
    "/api/holmes/{account_id}/chat",
    response_model=RobustaChatResponse,
    responses={
        200: {"content": SSE_CONTENT, "description": "The answer, or SSE events with `stream: true`"},
        **problems(403, 404, *COMMON_PROBLEMS),
    },
    summary="Ask Holmes (Robusta)",
    dependencies=[Depends(_robusta_auth)],
)
async def robusta_chat(account_id: str, body: RobustaChatRequest, request: Request) -> Response:
    resolved = body.model_copy(
        update={"cluster_id": resolve_cluster(body, ingest_state(request).settings.cluster_name)}
    )
    session = await submit(request, "robusta", resolved, required=True, requested=body.model)
    return await answer(request, session, body.stream)
