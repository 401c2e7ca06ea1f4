"""Reactivating a deactivated member (``flows.members.reactivate``): the service, the API route
and User Management's Reactivate button, on both backends."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from admit.audit.models import AuditEvent
from admit.errors import Conflict, NotFound, PermissionDenied
from admit.flows import join
from admit.flows import members as members_flow
from admit.members import service as members_service
from admit.members.models import Member, User
from tests.factories import (
    OWNER_PASSWORD,
    PASSWORD,
    actor_for,
    create_portal,
    csrf_of,
    invite,
    last_link,
    login,
    member_joins,
    sign_in_page,
)


def _member_id(db, email: str):
    with db.unit_of_work() as session:
        return session.scalar(
            select(Member.id).join(User, User.id == Member.user_id).where(User.email == email)
        )


def _as(db, pf, email, fn):
    """``fn(session, actor)`` as the member ``email`` of the portal, through the services."""
    with db.unit_of_work() as session:
        return fn(session, actor_for(session, pf.slug, email))


def _deactivate(db, pf, email, by=None):
    member_id = _member_id(db, email)
    _as(db, pf, by or pf.owner_email, lambda s, a: members_flow.deactivate(s, a, member_id))
    return member_id


@pytest.fixture
def portal(db, worker):
    """A portal with its owner, an admin, an internal member, a client, and Tess (a member with
    a product) who was deactivated."""
    pf = create_portal(db)
    member_joins(db, worker, pf, "ada@acme.com", role="admin")
    member_joins(db, worker, pf, "mel@acme.com")
    member_joins(db, worker, pf, "cleo@client.org", user_type="client")
    invite(db, pf, ["tess@acme.com"], role="member", products=["messaging"])
    worker.drain()
    with db.unit_of_work() as session:
        join.accept(session, token=last_link(db, "tess@acme.com"), name="Tess", password=PASSWORD)
    _deactivate(db, pf, "tess@acme.com")
    return pf


class TestReactivateService:
    def test_same_row_comes_back_active(self, db, portal):
        """The deactivated membership itself is active again, with its role, type and products;
        the change is audited as member.reactivated."""
        member_id = _member_id(db, "tess@acme.com")

        def reactivate(session, actor):
            member = members_flow.reactivate(session, actor, member_id)
            return (member.id, member.status, member.user_type, member.role, member.products)

        assert _as(db, portal, portal.owner_email, reactivate) == (
            member_id,
            "active",
            "internal",
            "member",
            ["messaging"],
        )
        with db.unit_of_work() as session:
            member = session.get(Member, member_id)
            assert member.deactivated_at is None and member.activated_at is not None
            events = session.scalars(
                select(AuditEvent.action).where(AuditEvent.target_id == str(member_id))
            ).all()
        assert sorted(events) == ["member.deactivated", "member.reactivated"]

    def test_reactivated_member_signs_in_again(self, client, db, portal):
        """Once reactivated, the person signs in and reaches the portal again."""
        member_id = _member_id(db, "tess@acme.com")
        assert (
            client.post("/api/v1/auth/login", json={"email": "tess@acme.com", "password": PASSWORD}).json()[
                "portals"
            ]
            == []
        )
        _as(db, portal, portal.owner_email, lambda s, a: members_flow.reactivate(s, a, member_id))
        login(client, "tess@acme.com")
        assert client.get(f"/api/v1/portals/{portal.slug}/people").status_code == 200

    def test_while_deactivated_they_are_told_so(self, client, db, portal):
        """Signed in while deactivated, the portal's pages and API say their access was ended
        (403 ``member_deactivated``), not "No such portal"; a portal they were never in is still
        not found."""
        other = create_portal(db, name="Beta", owner_email="boss@beta.com")
        login(client, "tess@acme.com")
        api = client.get(f"/api/v1/portals/{portal.slug}/people")
        assert api.status_code == 403 and api.json()["code"] == "member_deactivated", api.text
        page = client.get(f"/p/{portal.slug}/workspaces")
        assert page.status_code == 403
        assert "An administrator ended your access to Acme Inc." in page.text
        assert client.get(f"/api/v1/portals/{other.slug}/people").json()["code"] == "portal_not_found"

    def test_signing_in_while_deactivated_lands_where_they_are_told_so(self, client, db, portal):
        """Someone in no portal any more but the one that ended their access lands on it after
        signing in, and reads why and who can let them back, in its words; not "No portal: ask
        an admin to invite you"."""
        r = sign_in_page(client, "tess@acme.com", PASSWORD)
        assert r.headers["location"] == f"/p/{portal.slug}"
        landed = client.get(r.headers["location"])
        assert landed.status_code == 403
        assert "An administrator ended your access to Acme Inc. Ask one of its owners" in landed.text
        assert "No portal" not in landed.text
        # In no other portal: Sign out, not a start page that leads back here.
        assert "Go to the start page" not in landed.text and ">Sign out</button>" in landed.text

    def test_someone_in_another_portal_is_offered_the_start_page(self, client, db, worker, portal):
        beta = create_portal(db, name="Beta", owner_email="boss@beta.com")
        invite(db, beta, ["tess@acme.com"], role="member")
        worker.drain()
        token = last_link(db, "tess@acme.com")
        with db.unit_of_work() as session:
            tess = session.scalar(select(User).where(User.email == "tess@acme.com"))
            join.accept(session, token=token, current_user=tess)
        login(client, "tess@acme.com")
        page = client.get(f"/p/{portal.slug}/workspaces")
        assert page.status_code == 403 and "ended your access to Acme Inc." in page.text
        assert "Go to the start page" in page.text
        assert client.get("/", follow_redirects=False).headers["location"] == f"/p/{beta.slug}"

    def test_active_member_is_a_no_op(self, db, portal):
        """Reactivating someone active answers them as they are and records nothing."""
        member_id = _member_id(db, "mel@acme.com")
        status = _as(
            db, portal, portal.owner_email, lambda s, a: members_flow.reactivate(s, a, member_id).status
        )
        assert status == "active"
        with db.unit_of_work() as session:
            assert not session.scalars(
                select(AuditEvent).where(AuditEvent.action == "member.reactivated")
            ).all()

    def test_pending_member_is_refused(self, db, portal):
        """A pending membership never joined: 409 member_not_deactivated, nothing changes."""
        member_id = _member_id(db, "mel@acme.com")
        with db.unit_of_work() as session:
            members_service.set_status(session, session.get(Member, member_id), members_service.PENDING)
        with pytest.raises(Conflict) as info:
            _as(db, portal, portal.owner_email, lambda s, a: members_flow.reactivate(s, a, member_id))
        assert info.value.code == "member_not_deactivated"

    def test_only_an_owner_brings_back_an_owner(self, db, worker, portal):
        """An admin may not reactivate an owner (as they may not deactivate one); an owner may."""
        member_joins(db, worker, portal, "otto@acme.com", role="owner")
        member_id = _deactivate(db, portal, "otto@acme.com")
        with pytest.raises(PermissionDenied):
            _as(db, portal, "ada@acme.com", lambda s, a: members_flow.reactivate(s, a, member_id))
        status = _as(
            db, portal, portal.owner_email, lambda s, a: members_flow.reactivate(s, a, member_id).status
        )
        assert status == "active"

    def test_unknown_member_is_not_found(self, db, portal):
        """Another portal's member is not found here."""
        create_portal(db, name="Beta", owner_email="boss@beta.com")
        member_id = _member_id(db, "boss@beta.com")
        with pytest.raises(NotFound) as info:
            _as(db, portal, portal.owner_email, lambda s, a: members_flow.reactivate(s, a, member_id))
        assert info.value.code == "member_not_found"


class TestReactivateApi:
    @pytest.mark.parametrize(
        ("who", "password", "status"),
        [
            ("owner@acme.com", OWNER_PASSWORD, 200),
            ("ada@acme.com", PASSWORD, 200),
            ("mel@acme.com", PASSWORD, 403),
            ("cleo@client.org", PASSWORD, 403),
        ],
    )
    def test_who_may(self, client, db, portal, who, password, status):
        """Owners and admins reactivate (MemberRead back); internal members and clients get 403."""
        member_id = _member_id(db, "tess@acme.com")
        csrf = login(client, who, password)
        r = client.post(
            f"/api/v1/portals/{portal.slug}/members/{member_id}/reactivate", headers={"X-CSRF-Token": csrf}
        )
        assert r.status_code == status, r.text
        with db.unit_of_work() as session:
            now = session.get(Member, member_id).status
        if status == 200:
            body = r.json()
            assert (body["id"], body["status"], body["role"]) == (str(member_id), "active", "member")
            assert body["user"]["email"] == "tess@acme.com" and body["deactivated_at"] is None
            assert now == "active"
        else:
            assert r.json()["code"] == "permission_denied"
            assert now == "deactivated"

    def test_active_member_answers_as_is(self, client, db, portal):
        """Reactivating an active member is 200 with the member unchanged."""
        member_id = _member_id(db, "mel@acme.com")
        r = client.post(
            f"/api/v1/portals/{portal.slug}/members/{member_id}/reactivate", headers=portal.headers()
        )
        assert (r.status_code, r.json()["status"]) == (200, "active")


class TestReactivatePage:
    def test_reactivate_button_on_deactivated_rows(self, client, db, portal):
        """A deactivated row offers Reactivate (behind the confirm dialog); posting it brings the
        person back and says so."""
        member_id = _member_id(db, "tess@acme.com")
        sign_in_page(client, portal.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{portal.slug}/users")
        action = f"/p/{portal.slug}/members/{member_id}/reactivate"
        offered = re.findall(r'data-confirm-action="(?:https?://[^/"]+)?(/p/[^"]+/reactivate)"', page.text)
        assert offered == [action]  # active rows offer Deactivate, not Reactivate
        assert "Reactivate Tess (tess@acme.com)?" in page.text

        r = client.post(action, data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
        assert r.status_code == 303
        shown = client.get(r.headers["location"])
        assert "Tess (tess@acme.com) is active again." in shown.text
        row = re.search(r'<tr data-address="tess@acme.com".*?</tr>', shown.text, re.S).group(0)
        assert "data-status>Active<" in row and ">Deactivate</button>" in row

    def test_admin_is_not_offered_an_owner(self, client, db, worker, portal):
        """An admin sees no Reactivate on a deactivated owner (only an owner may bring one back)."""
        member_joins(db, worker, portal, "otto@acme.com", role="owner")
        _deactivate(db, portal, "otto@acme.com")
        sign_in_page(client, "ada@acme.com", PASSWORD)
        page = client.get(f"/p/{portal.slug}/users")
        otto = re.search(r'<tr data-address="otto@acme.com".*?</tr>', page.text, re.S).group(0)
        tess = re.search(r'<tr data-address="tess@acme.com".*?</tr>', page.text, re.S).group(0)
        assert "Reactivate" not in otto and ">Reactivate</button>" in tess
