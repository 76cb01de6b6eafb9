"""RFC 7807 problem responses: every refusal says what was wrong, never with a traceback."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

PROBLEM_TYPE_BASE = "https://alertfleet.dev/problems/"


class Problem(Exception):
    """Raised anywhere in a request to answer with application/problem+json."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        kind: str,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.kind = kind
        self.headers = headers or {}
        self.extra = extra or {}


def problem_response(problem: Problem, instance: str = "") -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + problem.kind,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if instance:
        body["instance"] = instance
    body.update(problem.extra)
    return JSONResponse(
        body, status_code=problem.status, headers=problem.headers, media_type="application/problem+json"
    )


def unavailable(detail: str, retry_after: int = 5) -> Problem:
    return Problem(503, "Service Unavailable", detail, "unavailable", headers={"Retry-After": str(retry_after)})


def invalid_payload(errors: list[dict[str, Any]]) -> Problem:
    """422 with pydantic's errors reduced to where and what (never the input values: they may hold secrets)."""
    issues = [{"loc": ".".join(str(part) for part in err.get("loc", ())), "msg": err.get("msg", "")} for err in errors]
    detail = "; ".join(f"{i['loc'] or 'body'}: {i['msg']}" for i in issues[:10])
    return Problem(422, "Unprocessable Entity", detail, "invalid-payload", extra={"errors": issues})


def malformed_json(detail: str) -> Problem:
    return Problem(400, "Bad Request", f"request body is not valid JSON: {detail}", "malformed-json")
