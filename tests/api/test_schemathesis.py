"""schemathesis against the running ingest's /openapi.json (bounded cases, real worker and stub model):
no 5xx, and every answer has a documented status, content type and a body matching its schema."""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import API_TOKEN
from tests.conftest import Fleet

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 10  # per operation: bounded, so the whole suite stays fast


def _schema(fleet: Fleet) -> schemathesis.BaseSchema:
    document = httpx.get(fleet.ingest_url + "/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    schema.config.base_url = fleet.ingest_url
    return schema


def test_api_matches_its_openapi(api_fleet: Fleet) -> None:
    """Each operation in turn (schemathesis's pytest plugin does not run on this pytest; its strategies do)."""
    operations = [result.ok() for result in _schema(api_fleet).get_all_operations()]
    assert len(operations) >= 15, "every route family is described"
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def exercise(case: schemathesis.Case) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {API_TOKEN}"}, timeout=60, checks=CHECKS)

        exercise()
