"""Small points of RFC 7644 an operator met driving the endpoint with curl: a bad value is a SCIM
error naming the attribute (not pydantic's text), /Me and /Bulk are 501 (not offered), a filter
on an attribute the resource does not have is 400 ``invalidFilter``, no ``meta.version`` while
ServiceProviderConfig says ETags are not offered, and a group member's ``display`` is the
person's name. Both databases."""

from __future__ import annotations

from tests.scim.test_scim_users_groups import GROUP, PATCH, okta_user


def test_a_bad_value_is_named_not_pydantics_text(scim):
    bad = scim.post("/Users", okta_user("ann.lee@acme.com", active="maybe"))
    assert bad.status_code == 400, bad.text
    assert bad.json()["scimType"] == "invalidValue"
    assert bad.json()["detail"].startswith("active: "), bad.text
    assert "pydantic" not in bad.text and "validation error" not in bad.text
    ann = scim.post("/Users", okta_user("ann.lee@acme.com")).json()["id"]
    maybe = {"op": "replace", "path": "active", "value": "maybe"}
    for op in (maybe, {"op": "replace", "value": {"active": "maybe"}}):
        patched = scim.patch(f"/Users/{ann}", {"schemas": [PATCH], "Operations": [op]})
        assert patched.status_code == 400, patched.text
        assert patched.json()["scimType"] == "invalidValue"
        assert patched.json()["detail"].startswith("active: "), patched.text
        assert "pydantic" not in patched.text and "validation error" not in patched.text
    put = scim.put(f"/Users/{ann}", okta_user("ann.lee@acme.com", active="maybe"))
    assert put.status_code == 400 and put.json()["detail"].startswith("active: "), put.text


def test_me_and_bulk_are_not_implemented(scim):
    for method, path in (("GET", "/Me"), ("PATCH", "/Me"), ("DELETE", "/Me"), ("POST", "/Bulk")):
        r = scim.request(method, path, {"schemas": []})
        assert r.status_code == 501, (method, path, r.text)
        assert r.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert scim.get("/ServiceProviderConfig").json()["bulk"]["supported"] is False


def test_a_filter_on_an_unknown_attribute_is_invalid(scim):
    unknown = scim.get("/Users", params={"filter": 'foo eq "x"'})
    assert unknown.status_code == 400 and unknown.json()["scimType"] == "invalidFilter"
    assert "foo" in unknown.json()["detail"]
    searched = scim.post("/Users/.search", {"filter": 'name.nickname eq "x"'})
    assert searched.status_code == 400 and searched.json()["scimType"] == "invalidFilter"
    groups = scim.get("/Groups", params={"filter": 'userName eq "x"'})
    assert groups.status_code == 400 and groups.json()["scimType"] == "invalidFilter"


def test_no_version_while_etags_are_not_offered(scim):
    assert scim.get("/ServiceProviderConfig").json()["etag"]["supported"] is False
    ann = scim.post("/Users", okta_user("ann.lee@acme.com"))
    assert ann.status_code == 201, ann.text
    assert "version" not in ann.json()["meta"] and "etag" not in {k.lower() for k in ann.headers}
    group = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Sales"})
    assert "version" not in group.json()["meta"]


def test_a_group_members_display_is_their_name(scim):
    ann = scim.post("/Users", okta_user("ann.lee@acme.com")).json()["id"]
    body = {"schemas": [GROUP], "displayName": "Sales", "members": [{"value": ann}]}
    group = scim.post("/Groups", body).json()
    assert [m["display"] for m in group["members"]] == ["Ann Lee"]
    assert [m["display"] for m in scim.get(f"/Groups/{group['id']}").json()["members"]] == ["Ann Lee"]
