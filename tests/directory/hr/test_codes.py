"""The reasons a sync skips an employee are one declared list, as its outcomes are: the preview's and a run's
report's ``reason`` are an enum in the OpenAPI document, every answer matches its operation's
schema, and every code declared is reached here (one employee each). Both databases, the
generic source."""

from __future__ import annotations

import dataclasses

import pytest

from tests.directory.hr.fakes import Person
from tests.factories import active_member
from tests.test_openapi import _declared, _document, _property

ADA = Person(id="1", first_name="Ada", last_name="Lovelace", email="ada@acme.com")


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_every_skip_reason_answered_is_declared_and_each_declared_is_reached(hr, fake, client, portal):
    import jsonschema_rs

    active_member(hr.db, portal, "gone@acme.com")
    active_member(hr.db, portal, "kept@acme.com")  # left, joined another way: not_managed
    members = client.get(f"/api/v1/portals/{portal.slug}/members", headers=portal.headers()).json()["items"]
    gone = next(m["id"] for m in members if m["user"]["email"] == "gone@acme.com")
    deactivated = client.post(
        f"/api/v1/portals/{portal.slug}/members/{gone}/deactivate", headers=portal.headers()
    )
    assert deactivated.status_code == 200, deactivated.text
    fake.people = [
        ADA,
        dataclasses.replace(ADA, first_name="Twice"),  # an id listed twice
        dataclasses.replace(ADA, id="2"),  # an address listed twice
        Person(id="x" * 201, first_name="Long", last_name="Id", email="long@acme.com"),
        Person(id="3", first_name="Cy", last_name="Left", email="cy@acme.com", active=False),
        Person(id="4", first_name="Dee", last_name="Nomail"),
        Person(id="5", first_name="Out", last_name="Side", email="out@elsewhere.org"),
        Person(id="6", first_name="Gone", last_name="Before", email="gone@acme.com"),
        Person(id="7", first_name="Kept", last_name="Member", email="kept@acme.com", active=False),
    ]
    hr.connect(allowed_domains=["acme.com"], deactivate_limit_pct=100)
    document = _document(client)
    base = "/api/v1/portals/{portal}/directory/connections/{connection_id}"
    preview, run = hr.preview(), hr.sync()
    for method, path, body in (("post", "/preview", preview), ("get", "/runs/{run_id}", run)):
        content = document["paths"][base + path][method]["responses"]["200"]["content"]
        schema = {**content["application/json"]["schema"], "components": document["components"]}
        errors = [e.message for e in jsonschema_rs.validator_for(schema).iter_errors(body)]
        assert not errors, (path, errors)

    answered = {r["reason"] for r in preview["rows"] if r["outcome"] == "skip"}
    assert "" not in answered  # a skip always says why
    assert {r["reason"] for r in preview["rows"] if r["outcome"] != "skip"} == {""}
    for model in ("HrStep", "HrReportRow"):
        declared = _declared(document, _property(document, model, "reason"))
        assert declared is not None, f"{model}.reason is any string"
        assert declared == answered | {""}, (model, declared ^ (answered | {""}))
    assert {r["reason"] for r in run["report"] if r["outcome"] == "skip"} == answered
    for model in ("HrStep", "HrReportRow"):  # what is done with each: one declared list too
        outcomes = _declared(document, _property(document, model, "outcome"))
        assert outcomes is not None, f"{model}.outcome is any string"
        assert {r["outcome"] for r in (*preview["rows"], *run["report"])} <= outcomes
        assert {"invite", "invite_on_start", "update", "deactivate", "skip"} <= outcomes
