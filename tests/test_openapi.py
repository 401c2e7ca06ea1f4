"""The OpenAPI document tells the truth: clean operation ids, problem+json for every error, no
FastAPI validation schemas, and no status an operation answers that it does not declare."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from datetime import timedelta

import pytest
from fastapi import APIRouter, FastAPI

from admit.api.openapi import describe, require_operation_id
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


class TestDeletes:
    def test_every_delete_answers_204_with_no_body(self, client):
        """One convention for deletes: 204 and nothing else as success (four answered 200 with
        what they deleted: API keys, SCIM tokens, a link sign-up, the logo)."""
        answers = {
            (path, tuple(s for s in operation["responses"] if s.startswith("2")))
            for path, method, operation in _operations(_document(client))
            if method == "delete"
        }
        assert answers, "no DELETE operation"
        assert {a for a in answers if a[1] != ("204",)} == set()

    def test_a_delete_route_answering_a_body_is_refused(self):
        """A DELETE route that answers anything but 204 fails when the API is described."""
        module = APIRouter()

        @module.delete("/things/{thing_id}", operation_id="things_delete")
        def delete_thing(thing_id: int) -> dict:
            return {"id": thing_id}

        with pytest.raises(TypeError, match="204"):
            describe(module)


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
            "address",
            "challenge",
            "reason",
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

    def test_summaries_and_examples_read_as_written(self, client):
        """Summaries spell acronyms as they are ("Create API key", not "Create Api Key"), and
        the example problems' details are Markdown (`X`), not the docstrings' ``X``."""
        document = _document(client)
        summaries = {op["operationId"]: op["summary"] for _p, _m, op in _operations(document)}
        assert summaries["api_keys_list"] == "List API keys", summaries["api_keys_list"]
        assert "Api " not in str(summaries) and "Scim" not in str(summaries)
        assert "Hr " not in str(summaries) and "Csv" not in str(summaries)
        assert "``" not in json.dumps(document["paths"])
        examples = [
            response["content"][PROBLEM]["example"]["detail"]
            for _p, _m, op in _operations(document)
            for status, response in op["responses"].items()
            if status == "413"
        ]
        assert "`ADMIT_MAX_BODY_BYTES`" in examples[0], examples[0]

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
        # Its start-up script is inline: let in by its hash alone (a page's policy otherwise).
        policy = r.headers["content-security-policy"]
        scripts = re.findall(r"<script>(.*?)</script>", r.text, re.DOTALL)
        hashes = [base64.b64encode(hashlib.sha256(js.encode()).digest()).decode() for js in scripts]
        assert scripts and "unsafe" not in policy
        allowed = next(d for d in policy.split("; ") if d.startswith("script-src "))
        assert allowed == "script-src 'self' " + " ".join(f"'sha256-{h}'" for h in hashes)
        redirect = client.get("/api/docs/oauth2-redirect")
        assert redirect.status_code == 200 and "'sha256-" in redirect.headers["content-security-policy"]
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
            # HEAD answers as GET does (it was 303 to the start page, or 405 under /api).
            r = client.head(common, follow_redirects=False)
            assert (r.status_code, r.headers.get("location")) == (308, own), common
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


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _declared(document: dict, schema: dict) -> set[str] | None:
    """The strings ``schema`` allows, when it names them all (enums, consts, their unions; a
    null allows none); None when it allows any string."""
    schema = _resolve(document, schema)
    if "anyOf" in schema or "oneOf" in schema:
        allowed: set[str] = set()
        for branch in schema.get("anyOf", schema.get("oneOf")):
            values = _declared(document, branch)
            if values is None:
                return None
            allowed |= values
        return allowed
    if "enum" in schema:
        return set(schema["enum"])
    if "const" in schema:
        return {schema["const"]}
    if schema.get("type") == "null":
        return set()
    return None


def _property(document: dict, model: str, name: str) -> dict:
    return document["components"]["schemas"][model]["properties"][name]


class TestSkipCodes:
    """The recipients' answers through their skip paths (an invite, the recipients check, an
    import's preview and status, a workspace, a team, a client group, a contact): every answer matches its
    operation's schema in the document, and every skip code it carries is one of the values the
    document declares for its field (an enum, not any string), each declared code reached."""

    def test_every_skip_code_answered_is_declared(self, client, db, worker, rate_limits):  # noqa: ARG002
        import jsonschema_rs

        from admit.notifications import bounces
        from tests.factories import active_member, invite

        pf = create_portal(db)
        document = _document(client)
        answers: list[tuple[str, str, int, dict]] = []

        def call(method: str, path: str, body: dict | None = None, **ids: str) -> dict:
            """Call the operation at ``path`` (its template) and keep its answer."""
            url = path.replace("{portal}", pf.slug)
            for name, value in ids.items():
                url = url.replace("{" + name + "}", value)
            r = client.request(method, url, json=body, headers=pf.headers())
            assert r.status_code in (200, 201, 202), (path, r.text)
            answers.append((method.lower(), path, r.status_code, r.json()))
            return r.json()

        # Someone invited by another portal a moment ago (the per-recipient cap), a pending
        # invitation, an address that bounced, a deactivated member, members of each type, and
        # a portal out of texts for the day.
        invite(db, create_portal(db, name="Beta", owner_email="owner@beta.com"), ["capped@example.com"])
        invite(db, pf, ["pending@example.com"])
        with db.unit_of_work() as session:
            bounces.suppress(
                session, portal_id=pf.portal_id, address="bounced@example.com", kind="bounce", detail="550",
                source="test",
            )  # fmt: skip
        for email, user_type in (
            ("gone@acme.com", "internal"),
            ("ivy@acme.com", "internal"),
            ("cleo@client.org", "client"),
        ):
            active_member(db, pf, email, user_type=user_type)
        listed = client.get(f"/api/v1/portals/{pf.slug}/members", headers=pf.headers()).json()["items"]
        ids = {m["user"]["email"]: (m["id"], m["user"]["id"]) for m in listed}
        (gone_member, gone), ivy, cleo = (
            ids["gone@acme.com"],
            ids["ivy@acme.com"][1],
            ids["cleo@client.org"][1],
        )
        call("POST", "/api/v1/portals/{portal}/members/{member_id}/deactivate", member_id=gone_member)
        call("PATCH", "/api/v1/portals/{portal}", {"sms_daily_budget": 0})

        everyone = [
            "",
            "twice@example.com",
            "twice@example.com",
            pf.owner_email,
            "gone@acme.com",
            "pending@example.com",
            "bounced@example.com",
            "capped@example.com",
            "+44 20 7946 0958",
            "+1 202 555 0101",
            "new@example.com",
        ]
        call("POST", "/api/v1/portals/{portal}/invitations", {"recipients": everyone, "user_type": "client"})
        call("POST", "/api/v1/portals/{portal}/recipients/check", {"text": "\n".join(everyone)})

        imports = "/api/v1/portals/{portal}/invitation-imports"
        rows = f"email,role\nboss@example.com,owner\nbad,member\n{pf.owner_email},member\n"
        rows += "rae@example.com,chief\n"  # no role: invalid_role
        asked = {"text": rows, "user_type": "internal", "role": "member", "role_column": True}
        call("POST", imports, {**asked, "dry_run": True})
        started = call("POST", imports, asked)
        worker.drain()
        call("GET", imports + "/{import_id}", import_id=started["id"])

        workspace = call(
            "POST", "/api/v1/portals/{portal}/workspaces", {"name": "Onboarding", "kind": "chat"}
        )
        members = "/api/v1/portals/{portal}/workspaces/{workspace_id}/members"
        call("POST", members, {"user_ids": [ivy]}, workspace_id=workspace["id"])
        someone = str(uuid.uuid4())
        again = {"user_ids": [ivy, gone, someone], "recipients": ["nope", "gone@acme.com"]}
        call("POST", members, again, workspace_id=workspace["id"])
        team = call(
            "POST",
            "/api/v1/portals/{portal}/teams",
            {"name": "Tax", "user_ids": [ivy, cleo, gone], "recipients": ["x@nowhere.org"]},
        )
        call(
            "POST",
            "/api/v1/portals/{portal}/teams/{team_id}/members",
            {"user_ids": [ivy]},
            team_id=team["team"]["id"],
        )
        # A team's person neither in the portal nor invited (``not_invitable``): a directory's
        # user provisioned inactive, never invited, put in a SCIM group (an internal team).
        scim_token = call("POST", "/api/v1/portals/{portal}/scim-tokens", {"name": "Okta"})["token"]
        scim = {"Authorization": f"Bearer {scim_token}", "Content-Type": "application/scim+json"}
        sam = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "sam@acme.com",
            "emails": [{"primary": True, "value": "sam@acme.com"}],
            "active": False,
        }
        sam_id = client.post("/scim/v2/Users", json=sam, headers=scim).json()["id"]
        scim_group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ops"}
        made = client.post(
            "/scim/v2/Groups", json={**scim_group, "members": [{"value": sam_id}]}, headers=scim
        )
        assert made.status_code == 201, made.text
        teams = call("GET", "/api/v1/portals/{portal}/teams")["items"]
        ops = next(t["id"] for t in teams if t["name"] == "Ops")
        call("POST", members, {"team_ids": [ops]}, workspace_id=workspace["id"])
        group = {"name": "Smiths", "user_ids": [ivy], "recipients": ["ann@smith.net", "bounced@example.com"]}
        call("POST", "/api/v1/portals/{portal}/client-groups", group)
        # A contact's outcome says some of the same (already_member, already_invited, already_in_workspace).
        contacts = "/api/v1/portals/{portal}/contacts"
        for body in (
            {
                "recipient": "ivy@acme.com",
                "user_type": "internal",
                "then": "workspace",
                "workspace_id": workspace["id"],
            },
            {"recipient": "ivy@acme.com", "user_type": "internal", "then": "contacts"},
            {"recipient": "pending@example.com", "then": "contacts"},
            {"recipient": "quiet@example.com", "then": "quietly"},
            {"recipient": "quiet@example.com", "then": "quietly"},
            {"recipient": "fresh@example.com", "then": "contacts"},
            {"recipient": "cleo@client.org", "then": "workspace", "workspace_id": workspace["id"]},
            {"recipient": "newcomer@example.com", "then": "workspace", "workspace_id": workspace["id"]},
        ):
            call("POST", contacts, body)
        # Resend Invitation on a group's row: one result per person on it (``already_joined``,
        # ``no_invitation`` for an invitation revoked, ``resent``).
        joneses = call(
            "POST",
            "/api/v1/portals/{portal}/client-groups",
            {
                "name": "Joneses",
                "user_ids": [cleo],
                "recipients": ["late@example.com", "withdrawn@example.com"],
            },
        )
        added = call("POST", members, {"group_ids": [joneses["team"]["id"]]}, workspace_id=workspace["id"])
        withdrawn = next(r for r in added["results"] if r["recipient"].endswith("withdrawn@example.com"))
        # Revoked before this release, when Revoke left its person Not Joined in the workspace (now
        # it takes them out: ``flows.workspace_people.invitation_revoked``): such a row stays.
        from sqlalchemy import update

        from admit.invitations.models import Invitation

        with db.unit_of_work() as session:
            revoked = uuid.UUID(withdrawn["invitation"]["id"])
            session.execute(update(Invitation).where(Invitation.id == revoked).values(status="revoked"))
        with db.context.clock.travel(timedelta(minutes=2)):  # past the per-recipient limit
            resent = call(
                "POST",
                "/api/v1/portals/{portal}/workspaces/{workspace_id}/groups/{group_id}/resend",
                workspace_id=workspace["id"],
                group_id=joneses["team"]["id"],
            )
        assert [(r["outcome"], r["code"]) for r in resent["results"]] == [
            ("skipped", "already_joined"),
            ("resent", None),
            ("skipped", "no_invitation"),
        ], resent

        # Every answer is what its operation's schema says.
        for method, path, status_code, body in answers:
            content = document["paths"][path][method]["responses"][str(status_code)]["content"]
            schema = {**content["application/json"]["schema"], "components": document["components"]}
            errors = [e.message for e in jsonschema_rs.validator_for(schema).iter_errors(body)]
            assert not errors, (method, path, errors)

        # Every field that carries a skip code declares its values; every value answered is one.
        fields = {
            "results' code": _property(document, "RecipientResultRead", "code"),
            "the check's skip": _property(document, "CheckedRecipientRead", "skip"),
            "the preview's counts": _property(document, "ImportPreview", "counts").get("propertyNames", {}),
            "the preview's samples": _property(document, "ImportPreview", "samples").get("propertyNames", {}),
            "the import's skipped": _property(document, "ImportStatus", "skipped").get("propertyNames", {}),
            "a contact's outcome": _property(document, "ContactResultRead", "outcome"),
        }
        declared = {name: _declared(document, schema) for name, schema in fields.items()}
        assert all(values is not None for values in declared.values()), {
            name: fields[name] for name, values in declared.items() if values is None
        }
        seen: dict[str, set[str]] = {name: set() for name in fields}
        answered: set[str] = set()  # the codes some answer gave (a count of 0 is not one)
        for _method, _path, _status, body in answers:
            codes = {r["code"] for r in body.get("results", []) if r["code"] is not None}
            seen["results' code"] |= codes
            skips = {i["skip"] for i in body.get("items", []) if i.get("skip") is not None}
            seen["the check's skip"] |= skips
            answered |= codes | skips
            if "counts" in body and "samples" in body:
                seen["the preview's counts"] |= set(body["counts"])
                seen["the preview's samples"] |= set(body["samples"])
                answered |= {code for code, n in body["counts"].items() if n}
            if "contact" in body:
                seen["a contact's outcome"].add(body["outcome"])
            if isinstance(body.get("skipped"), dict):
                seen["the import's skipped"] |= set(body["skipped"])
                answered |= {code for code, n in body["skipped"].items() if n}
        undeclared = {name: seen[name] - (declared[name] or set()) for name in fields}
        assert not any(undeclared.values()), undeclared
        # Every code a result may carry was answered here, in a result or an import's counts
        # (``not_allowed``: a row's own role, which only an import has).
        answered -= {"will_invite"}
        assert declared["results' code"] == answered, declared["results' code"] ^ answered
        assert declared["a contact's outcome"] == seen["a contact's outcome"], declared["a contact's outcome"]


# Answers with ``items`` and no ``next_cursor``: only sets that are whole and small by rule, so
# nothing ever caps them (STYLE.md §12: every list pages with a cursor, never silently capped).
WHOLE_BY_RULE = {
    # The events Admit sends: a closed vocabulary in the code (``events.catalogue``).
    "webhook_event_types",
    # The error codes: a closed vocabulary in the code (``errors.ErrorCode``).
    "errors_list",
    # One row per kind of optional message: a closed vocabulary (``notifications.preferences``).
    "me_notification_preferences_get",
    "me_notification_preferences_update",
    # A flow's roles: at most ``MAX_ROLES`` (20), a twenty-first is refused; each with its holder
    # now only (who held it before, unbounded, pages: ``workspaces_roles_history``).
    "workspaces_roles_list",
    "workspaces_roles_add",
    # The answer to the text posted, one item per recipient in it: more than
    # ``MAX_RECIPIENTS_PER_REQUEST`` is refused (422), never cut.
    "recipients_check",
    # The deliveries of the roster rows asked for, at most one item per id given: more than
    # ``people.roster.MAX_DELIVERIES`` is refused (422), never cut.
    "people_deliveries",
}


class TestListShapes:
    def test_every_list_pages_with_a_cursor(self, client):
        """No GET answers a bare array, and every answer with ``items`` carries ``next_cursor``
        (a list that can grow pages; none is silently capped), but the ``WHOLE_BY_RULE`` sets;
        each of those is still such an answer (the allow-list names no operation that moved on)."""
        document = _document(client)
        wrong, uncursored = [], set()
        for path, method, operation in _operations(document):
            for status, response in operation["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if not status.startswith("2") or schema is None:
                    continue
                schema = _resolve(document, schema)
                if method == "get" and schema.get("type") == "array":
                    wrong.append((method, path, "a bare array"))
                properties = schema.get("properties", {})
                if "items" in properties and "next_cursor" not in properties:
                    uncursored.add(operation["operationId"])
                    if operation["operationId"] not in WHOLE_BY_RULE:
                        wrong.append((method, path, "items without next_cursor"))
        assert not wrong, wrong
        assert uncursored == WHOLE_BY_RULE, uncursored ^ WHOLE_BY_RULE


def _codes(operation: dict) -> set[str]:
    return {
        code for response in operation["responses"].values() for code in response.get("x-error-codes", ())
    }


class TestResendErrors:
    def test_every_resend_declares_what_resending_can_refuse(self, client, db, worker, rate_limits):  # noqa: ARG002
        """A workspace member's Resend answered 429 ``recipient_rate_limited`` (and could answer
        409 ``address_suppressed``) while its document declared only ``rate_limited``: each
        Resend of one invitation declares what resending an invitation can refuse
        (``invitations.service.REISSUE_ERRORS``), and a bulk Resend what refuses it whole (each
        person's refusal is their result's code)."""
        from admit.invitations.service import REISSUE_ERRORS

        operations = {op["operationId"]: op for _p, _m, op in _operations(_document(client))}
        reissue = {str(cls.code) for cls in REISSUE_ERRORS}
        assert {"recipient_rate_limited", "address_suppressed", "rate_limited"} <= reissue
        for one in ("invitations_resend", "workspaces_members_resend"):
            assert reissue <= _codes(operations[one]), (one, reissue - _codes(operations[one]))
        for many in ("workspaces_invitations_resend", "workspaces_teams_resend", "workspaces_groups_resend"):
            assert "rate_limited" in _codes(operations[many]), many
        # What one answers is what it declares: a second Resend at once is held back.
        from tests.workspaces.helpers import add, api, create_workspace, members

        pf = create_portal(db)
        ws = create_workspace(client, pf)
        add(client, pf, ws["id"], recipients=["nora@home.net"])
        worker.drain()
        nora = members(client, pf, ws["id"])["items"][-1]["user"]["id"]
        r = client.post(api(pf, f"/workspaces/{ws['id']}/members/{nora}/resend"), headers=pf.headers())
        assert (r.status_code, r.json()["code"]) == (429, "recipient_rate_limited"), r.text
        assert (
            r.json()["code"] in operations["workspaces_members_resend"]["responses"]["429"]["x-error-codes"]
        )
