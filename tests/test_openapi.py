"""The OpenAPI document tells the truth: clean operation ids, problem+json for every error, no
FastAPI validation schemas, and no status an operation answers that it does not declare."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from fastapi import APIRouter, FastAPI

from admit.api.openapi import require_operation_id
from admit.errors import CLASSES, ErrorCode
from tests.factories import OWNER_PASSWORD, create_portal

PROBLEM = "application/problem+json"
OPERATION_ID = re.compile(r"^[a-z]+(?:_[a-z]+)+$")


def _document(client) -> dict:
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    return r.json()


def _operations(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def _takes_input(operation) -> bool:
    return bool(operation.get("parameters") or operation.get("requestBody"))


def _needs_credentials(operation) -> bool:
    """Security is declared and not optional (an empty requirement ``{}`` makes it optional)."""
    security = operation.get("security") or []
    return bool(security) and {} not in security


class TestOperationIds:
    def test_domain_verb_unique_and_clean(self, client):
        """Every operation id is ``domain_verb`` (lower snake case), unique, with no path noise."""
        ids = [op["operationId"] for _p, _m, op in _operations(_document(client))]
        assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
        bad = [i for i in ids if not OPERATION_ID.match(i) or "api_v1" in i or i.endswith(("_get_", "_post"))]
        assert not bad, bad
        assert {
            "invitations_create",
            "invitations_list",
            "invitations_accept",
            "workspaces_members_add",
        } <= set(ids)

    def test_a_route_without_an_id_is_refused(self):
        """An API route that names no operation id fails when the app is built, not later."""
        module = APIRouter()

        @module.get("/things")
        def list_things():
            return []

        api = APIRouter(prefix="/api/v1", generate_unique_id_function=require_operation_id)
        api.include_router(module)
        with pytest.raises(TypeError, match="needs operation_id"):
            FastAPI().include_router(api)


class TestProblems:
    def test_no_fastapi_validation_schemas(self, client):
        """FastAPI's HTTPValidationError / ValidationError appear nowhere in the document."""
        text = json.dumps(_document(client))
        assert "HTTPValidationError" not in text and '"ValidationError"' not in text

    def test_problem_schema(self, client):
        """``Problem`` has the RFC 9457 members and ours; ``code`` is the closed vocabulary."""
        schemas = _document(client)["components"]["schemas"]
        problem = schemas["Problem"]
        assert set(problem["properties"]) == {
            "type",
            "title",
            "status",
            "detail",
            "code",
            "field",
            "errors",
            "retry_after",
            "steps",
            "portal",
            "challenge",
        }
        assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
        assert problem["properties"]["code"]["$ref"] == "#/components/schemas/ErrorCode"
        assert schemas["ErrorCode"]["enum"] == [str(code) for code in ErrorCode]

    def test_every_error_response_is_a_problem(self, client):
        """Every 4xx is problem+json (the ``Problem`` schema) and names codes of its status."""
        for path, method, operation in _operations(_document(client)):
            for status, response in operation["responses"].items():
                if not status.startswith("4"):
                    continue
                where = f"{method.upper()} {path} {status}"
                assert list(response["content"]) == [PROBLEM], where
                media = response["content"][PROBLEM]
                assert media["schema"] == {"$ref": "#/components/schemas/Problem"}, where
                codes = response["x-error-codes"]
                assert media["example"]["code"] in codes, where
                assert codes, where
                for code in codes:
                    assert CLASSES[ErrorCode(code)].status == int(status), f"{where}: {code}"
                    assert f"(/errors#{code})" in response["description"], where

    def test_input_means_422_and_credentials_mean_401(self, client):
        """An operation that takes input declares 422 ``invalid_input``; one that needs
        credentials declares 401 ``not_authenticated``; every operation declares a success."""
        for path, method, operation in _operations(_document(client)):
            where = f"{method.upper()} {path}"
            responses = operation["responses"]
            assert any(s.startswith("2") for s in responses), where
            if _takes_input(operation):
                assert "invalid_input" in responses.get("422", {}).get("x-error-codes", []), where
            if _needs_credentials(operation):
                assert "not_authenticated" in responses.get("401", {}).get("x-error-codes", []), where
            if "401" in responses and "not_authenticated" in responses["401"]["x-error-codes"]:
                assert _needs_credentials(operation), where

    def test_security_schemes(self, client):
        """The API key (Bearer) and the session cookie are declared for clients and the docs."""
        schemes = _document(client)["components"]["securitySchemes"]
        assert schemes["apiKey"] == {**schemes["apiKey"], "type": "http", "scheme": "bearer"}
        assert (schemes["session"]["in"], schemes["session"]["name"]) == ("cookie", "admit_session")


class TestAnswersAreDeclared:
    """Every operation called anonymously, with an API key, and with a session but no CSRF
    token (placeholder ids and tokens, an empty body): whatever it answers is in the document,
    the status and, for an error, the code."""

    def _call_all(self, client, document, slug, headers, cookies_ok=True):
        seen = []
        for path, method, operation in _operations(document):
            url = path
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "path":
                    continue
                name, schema = parameter["name"], parameter.get("schema", {})
                value = (
                    slug
                    if name == "portal"
                    else str(uuid.uuid4())
                    if schema.get("format") == "uuid"
                    else "nope"
                )
                url = url.replace("{" + name + "}", value)
            body = {} if operation.get("requestBody") else None
            r = client.request(method.upper(), url, json=body, headers=headers)
            code = r.json().get("code") if r.status_code >= 400 else None
            seen.append((f"{method.upper()} {path}", operation, r.status_code, code))
        return seen

    def _check(self, seen):
        undeclared = []
        for where, operation, status, code in seen:
            response = operation["responses"].get(str(status))
            if response is None or (code is not None and code not in response.get("x-error-codes", [])):
                undeclared.append((where, status, code))
        assert not undeclared, undeclared

    def test_anonymous_with_an_api_key_and_with_a_session(self, client, db):
        """Anonymous callers, an owner's API key, and a session without its CSRF token."""
        pf = create_portal(db)
        document = _document(client)
        seen = self._call_all(client, document, pf.slug, {})
        assert {s for _w, _o, s, _c in seen} >= {401, 404, 422}
        seen += self._call_all(client, document, pf.slug, pf.headers())
        r = client.post("/api/v1/auth/login", json={"email": pf.owner_email, "password": OWNER_PASSWORD})
        assert r.status_code == 200
        seen += self._call_all(client, document, pf.slug, {})
        assert "csrf_failed" in {c for _w, _o, _s, c in seen}
        self._check(seen)


class TestApiDocs:
    def test_served_offline_from_the_app(self, client):
        """/api/docs is Swagger UI over the app's own document, its scripts and styles served by
        the app: the page names no other host."""
        r = client.get("/api/docs")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "'/api/v1/openapi.json'" in r.text
        assert not re.search(r"https?://", r.text), "the docs page loads something from another host"
        assets = re.findall(r'(?:src|href)="([^"]+)"', r.text)
        kinds = {}
        for asset in assets:
            assert asset.startswith("/") and not asset.startswith("//"), asset
            a = client.get(asset)
            assert a.status_code == 200, asset
            kinds[a.headers["content-type"].split(";")[0]] = a.content
        assert b"SwaggerUIBundle" in kinds["text/javascript"]
        assert b".swagger-ui" in kinds["text/css"]

    def test_the_usual_addresses_lead_there(self, client):
        """/docs and /openapi.json, where an integrator looks first, redirect for good (308) to the
        reference and its document."""
        for common, own in (
            ("/docs", "/api/docs"),
            ("/api/v1/docs", "/api/docs"),
            ("/openapi.json", "/api/v1/openapi.json"),
        ):
            r = client.get(common, follow_redirects=False)
            assert (r.status_code, r.headers["location"]) == (308, own), common
        assert client.get("/openapi.json").json()["info"]["title"] == "Admit"


# Free-form by design: what an audit event recorded depends on its action (see the audit log).
LOOSE_ON_PURPOSE = {("AuditEventRead", "detail")}


def _loose(schema: dict) -> bool:
    """A schema that says nothing about its shape: ``{}`` or an object of anything."""
    if not schema:
        return True
    if "$ref" in schema:
        return False
    if schema.get("type") == "object" and "properties" not in schema:
        values = schema.get("additionalProperties", True)
        return values is True or values == {} or (isinstance(values, dict) and _loose(values))
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return any(_loose(s) for s in schema[key] if s.get("type") != "null")
    if schema.get("type") == "array":
        return _loose(schema.get("items", {}))
    return False


class TestTypedAnswers:
    def test_every_success_answer_has_a_shape(self, client):
        """Each 2xx answer with a body declares it: a JSON schema, or text/csv for the report;
        no operation answers an untyped object, and no property of a schema is an untyped dict."""
        document = _document(client)
        untyped = []
        for path, method, operation in _operations(document):
            for status, response in operation["responses"].items():
                if not status.startswith("2") or status == "204":
                    continue
                content = response.get("content", {})
                schema = content.get("application/json", {}).get("schema")
                if schema is None and "text/csv" not in content:
                    untyped.append((method, path, status, "no schema"))
                elif schema is not None and _loose(schema):
                    untyped.append((method, path, status, schema))
        for name, schema in document["components"]["schemas"].items():
            for prop, prop_schema in schema.get("properties", {}).items():
                if (name, prop) not in LOOSE_ON_PURPOSE and _loose(prop_schema):
                    untyped.append((name, prop, prop_schema))
        assert not untyped, untyped
        report = document["paths"]["/api/v1/portals/{portal}/invitation-imports/{import_id}/report.csv"]
        assert list(report["get"]["responses"]["200"]["content"]) == ["text/csv"]
