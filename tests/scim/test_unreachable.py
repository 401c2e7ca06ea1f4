"""A SCIM user Admit could never invite is refused, not recorded in silence (the new-user
tester: "not-an-email" without emails, a user with only phoneNumbers, both 201 and nothing
sent): with no usable email (userName, or emails[] primary or work) and no usable phone
number, 400 invalidValue naming the attributes and nothing kept; with only a phone number,
invited by text message, or refused by the portal's texting rules as the SCIM error.
Both databases."""

from __future__ import annotations

from sqlalchemy import func, select

from admit.directory.models import ScimUser
from tests.scim.test_scim_users_groups import USER, invitation_status


def scim_users(db) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(ScimUser)) or 0


def test_no_email_and_no_phone_is_refused_and_nothing_kept(db, scim):
    r = scim.post("/Users", {"schemas": [USER], "userName": "not-an-email", "active": True})
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["scimType"] == "invalidValue"
    assert "userName" in body["detail"] and "emails" in body["detail"] and "phoneNumbers" in body["detail"]
    bad_email = {"schemas": [USER], "userName": "jo", "emails": [{"value": "jo@", "primary": True}]}
    assert scim.post("/Users", bad_email).status_code == 400
    assert scim_users(db) == 0


def phone_only(user_name: str, number: str, kind: str = "mobile") -> dict:
    return {
        "schemas": [USER],
        "userName": user_name,
        "phoneNumbers": [{"value": number, "type": kind}],
        "active": True,
    }


def test_a_phone_only_user_is_invited_by_text(db, scim, portal):
    r = scim.post("/Users", phone_only("emp-1042", "+1 (202) 555-0173"))
    assert r.status_code == 201, r.text
    assert invitation_status(db, portal, "+12025550173") == ["pending"]


def test_a_number_the_portal_does_not_text_is_the_scim_error(db, scim):
    r = scim.post("/Users", phone_only("emp-2001", "+44 20 7946 0958", "work"))
    assert r.status_code == 400, r.text
    assert r.json()["scimType"] == "invalidValue", r.text
    assert "does not send texts to numbers in the United Kingdom" in r.json()["detail"]
    assert scim_users(db) == 0
