"""The API fuzzed from its own OpenAPI document (issue 14 item 23): schemathesis generates
requests for every operation — schema-valid and not — against the app on each backend, signed in
with a portal owner's API key and aimed at that portal, and checks every answer: never a 5xx,
a status the operation declares, a body that matches its declared schema and content type, and
every error as problem+json. Bounded: three examples per operation on each backend (six fresh
ones a run; five each cost ~35 s of the suite), no database of examples. The document is loaded
once for the module and each backend's app must serve the same: loading it (~10 % of a profiled
run) is not done twice when both backends run in one process."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.factories import create_portal

EXAMPLES = 3
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture(scope="module")
def _documents() -> dict:
    return {}


def test_every_operation_answers_as_its_document_says(app, db, client, _documents):
    pf = create_portal(db)
    document = client.get("/api/v1/openapi.json").json()
    if not _documents:
        _documents["raw"] = document
        _documents["schema"] = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    assert document == _documents["raw"]  # each backend serves the document fuzzed
    schema = _documents["schema"]
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(operation.as_strategy())
        @settings(
            max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def fuzz(case) -> None:
            if "portal" in (case.path_parameters or {}):
                case.path_parameters["portal"] = pf.slug  # past the portal lookup, into the operation
            response = case.call(app=app, headers={"Authorization": f"Bearer {pf.api_key}"})
            case.validate_response(response, checks=CHECKS)
            if response.status_code >= 400:
                kind = response.headers.get("content-type", [""])
                kind = kind[0] if isinstance(kind, list) else kind
                assert kind.startswith("application/problem+json"), (response.status_code, kind)
                assert response.json()["code"], response.text

        try:
            fuzz()
        except BaseException as exc:  # noqa: BLE001 - every operation's finding, then one assert
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert operations > 50
    assert not failures, "\n\n".join(failures)
