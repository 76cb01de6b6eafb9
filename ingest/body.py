"""Reading and parsing request bodies with a size cap, mapping failures to problems."""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic_core
from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ingest.problems import Problem, invalid_payload, malformed_json, problem_response

ModelT = TypeVar("ModelT", bound=BaseModel)


def _too_large(limit: int) -> Problem:
    return Problem(413, "Payload Too Large", f"request body exceeds {limit} bytes", "too-large")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed the limit (chunked bodies too)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def parse_model(raw: bytes, model: type[ModelT]) -> ModelT:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        json_errors = [err for err in errors if err["type"] == "json_invalid"]
        if json_errors:
            raise malformed_json(str(json_errors[0].get("ctx", {}).get("error", "invalid JSON"))) from None
        raise invalid_payload(list(errors)) from None  # type: ignore[arg-type]


def parse_object(raw: bytes) -> dict[str, Any]:
    """pydantic's JSON parser, as parse_model uses: its nesting limit turns a deeply nested body into a
    400 here instead of a RecursionError (a 500) wherever the value is next serialised."""
    try:
        value = pydantic_core.from_json(raw)
    except ValueError as exc:
        raise malformed_json(str(exc)) from None
    if not isinstance(value, dict):
        raise invalid_payload([{"loc": (), "msg": "body must be a JSON object"}])
    return value


def validate_object(value: dict[str, Any], model: type[ModelT]) -> ModelT:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise invalid_payload(list(exc.errors(include_input=False, include_url=False))) from None  # type: ignore[arg-type]


class BodyLimit:
    """ASGI middleware: every route's body capped at the limit, refused with a 413 problem (not text/plain).

    A declared Content-Length over the limit is refused before the body is read; a chunked body is cut
    off as soon as it passes the limit (the Problem is raised inside the route, so its handler answers)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await problem_response(_too_large(self.limit), scope.get("path", ""))(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _too_large(self.limit)
            return message

        await self.app(scope, limited, send)
