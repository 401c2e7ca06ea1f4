"""A deactivated member is not invited again, by anyone, on any way in: the pipeline skips them
(``member_deactivated``) and an invitation that was pending when they were deactivated cannot
bring them back. Reactivate (owners and admins) is the one way back, with the role, type and
products the membership had. Found by a tester: an internal member undid an admin's
deactivation by inviting the person again (both databases)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from admit.audit.models import AuditEvent
from admit.errors import MemberDeactivated
from admit.flows import invitations as invitations_flow
from admit.flows import join
from admit.flows import members as members_flow
from admit.invitations import pipeline
from admit.invitations.models import Invitation
from admit.members.models import VIA_INVITATION, Member, User
from tests.factories import (
    PASSWORD,
    actor_for,
    create_portal,
    csrf_of,
    invite,
    last_link,
    login,
    member_joins,
)
from tests.imports.helpers import csv_bytes, preview

DAN = "dan@clientco.com"
SKIPPED = (
    "This person is a deactivated member; owners and admins can reactivate them instead of inviting "
    "them again."
)


def _member(db, email):
    with db.unit_of_work() as session:
        member = session.scalar(
            select(Member).join(User, User.id == Member.user_id).where(User.email == email)
        )
        return member.id, member.status, member.user_type, member.role, list(member.products)


def _invitations_to(db, address):
    with db.unit_of_work() as session:
        return session.scalars(select(Invitation.status).where(Invitation.recipient == address)).all()


@pytest.fixture
def portal(db, worker):
    """Acme, with Hal (an internal member) and Dan, a client with a product and no password, whom
    the owner deactivated."""
    pf = create_portal(db)
    member_joins(db, worker, pf, "hal@acme.com")
    invite(db, pf, [DAN], user_type="client", products=["messaging"])
    worker.drain()
    with db.unit_of_work() as session:
        join.accept(session, token=last_link(db, DAN), name="Dan")
    member_id = _member(db, DAN)[0]
    with db.unit_of_work() as session:
        members_flow.deactivate(session, actor_for(session, pf.slug, pf.owner_email), member_id)
    return pf


class TestTheTestersSteps:
    def test_a_member_can_neither_reactivate_nor_invite_them_back(self, client, db, portal):
        """Hal's Reactivate is refused in words about reactivating; his invitation skips Dan as
        member_deactivated and writes nothing; Dan stays deactivated."""
        before = _member(db, DAN)
        csrf = {"X-CSRF-Token": login(client, "hal@acme.com")}
        r = client.post(f"/api/v1/portals/{portal.slug}/members/{before[0]}/reactivate", headers=csrf)
        assert (r.status_code, r.json()["detail"]) == (403, "Only owners and admins can reactivate people.")
        r = client.post(
            f"/api/v1/portals/{portal.slug}/invitations",
            json={"recipients": [DAN], "user_type": "client"},
            headers=csrf,
        )
        assert r.status_code == 201, r.text
        [result] = r.json()["results"]
        assert (result["outcome"], result["code"], result["detail"], result["invitation"]) == (
            "skipped",
            "member_deactivated",
            SKIPPED,
            None,
        )
        assert r.json()["counts"] == {"invited": 0, "added": 0, "skipped": 1}
        assert _member(db, DAN) == before
        assert _invitations_to(db, DAN) == ["accepted"]

    @pytest.mark.parametrize(
        ("user_type", "role"), [("client", None), ("internal", "admin"), ("internal", "owner")]
    )
    def test_owners_are_skipped_too(self, db, portal, user_type, role):
        """The owner's invitation, as a client or as an internal user of any role, skips Dan too:
        the membership is not turned into another type or role."""
        done = invite(db, portal, [f"Dan <{DAN}>"], user_type=user_type, role=role)
        assert [(x.code, x.detail) for x in done.skipped] == [("member_deactivated", SKIPPED)]
        assert done.invited == []
        assert _member(db, DAN)[1:] == ("deactivated", "client", "client", ["messaging"])

    def test_reactivate_is_the_way_back(self, client, db, portal):
        """The owner reactivates Dan: the same membership, client with his product, audited as a
        reactivation."""
        member_id = _member(db, DAN)[0]
        r = client.post(
            f"/api/v1/portals/{portal.slug}/members/{member_id}/reactivate", headers=portal.headers()
        )
        assert r.status_code == 200, r.text
        assert _member(db, DAN) == (member_id, "active", "client", "client", ["messaging"])
        with db.unit_of_work() as session:
            actions = session.scalars(
                select(AuditEvent.action).where(AuditEvent.target_id == str(member_id))
            ).all()
        assert "member.reactivated" in actions


class TestEveryWayIn:
    def test_the_summary_and_the_cli_rule(self, db, portal):
        """The skip is one someone must act on (the CLI's exit 1, the Invite box's "Fix or remove"),
        and a summary counts it in words."""
        skipped = invite(db, portal, [DAN], user_type="client").skipped
        assert [s.code for s in skipped] == ["member_deactivated"]
        assert pipeline.needs_fixing(skipped[0])
        assert pipeline.summary(0, {"member_deactivated": 1}) == "0 invited · 1 skipped: 1 deactivated member"

    def test_a_workspace_and_a_client_group_skip_them(self, client, db, portal):
        """Adding Dan's address to a workspace or a client group invites nobody."""
        r = client.post(
            f"/api/v1/portals/{portal.slug}/workspaces",
            json={"name": "Deal", "kind": "chat"},
            headers=portal.headers(),
        )
        assert r.status_code == 201, r.text
        r = client.post(
            f"/api/v1/portals/{portal.slug}/workspaces/{r.json()['id']}/members",
            json={"recipients": [DAN], "user_type": "client"},
            headers=portal.headers(),
        )
        assert [(x["outcome"], x["code"]) for x in r.json()["results"]] == [("skipped", "member_deactivated")]
        r = client.post(
            f"/api/v1/portals/{portal.slug}/client-groups",
            json={"name": "Clientco", "recipients": [DAN]},
            headers=portal.headers(),
        )
        assert r.status_code == 201, r.text
        assert [(x["outcome"], x["code"]) for x in r.json()["results"]] == [("skipped", "member_deactivated")]
        assert _invitations_to(db, DAN) == ["accepted"]

    def test_a_team_by_address_by_id_and_in_a_workspace_skips_them(self, client, db, portal):
        """Hal, in the team Ops, is deactivated: adding him to a team by address or by id, or
        adding Ops to a workspace, says member_deactivated in the pipeline's words (it said
        not_found or not_invitable, "invite them first", which can no longer be done)."""
        headers = portal.headers()
        ops = client.post(
            f"/api/v1/portals/{portal.slug}/teams",
            json={"name": "Ops", "recipients": ["hal@acme.com"]},
            headers=headers,
        )
        assert ops.status_code == 201, ops.text
        hal = _member(db, "hal@acme.com")
        with db.unit_of_work() as session:
            members_flow.deactivate(session, actor_for(session, portal.slug, portal.owner_email), hal[0])
        hal = _member(db, "hal@acme.com")
        hal_user = ops.json()["results"][0]["user_id"]
        other = client.post(f"/api/v1/portals/{portal.slug}/teams", json={"name": "Other"}, headers=headers)
        r = client.post(
            f"/api/v1/portals/{portal.slug}/teams/{other.json()['team']['id']}/members",
            json={"recipients": ["hal@acme.com"], "user_ids": [hal_user]},
            headers=headers,
        )
        assert [(x["outcome"], x["code"], x["detail"]) for x in r.json()["results"]] == [
            ("skipped", "member_deactivated", SKIPPED),
            ("skipped", "member_deactivated", SKIPPED),
        ], r.text
        space = client.post(
            f"/api/v1/portals/{portal.slug}/workspaces",
            json={"name": "Deal", "kind": "chat"},
            headers=headers,
        )
        r = client.post(
            f"/api/v1/portals/{portal.slug}/workspaces/{space.json()['id']}/members",
            json={"team_ids": [ops.json()["team"]["id"]]},
            headers=headers,
        )
        assert [(x["outcome"], x["code"]) for x in r.json()["results"]] == [
            ("skipped", "member_deactivated")
        ], r.text
        assert _member(db, "hal@acme.com") == hal

    def test_an_import_preview_counts_them(self, db, portal):
        """A file's preview counts Dan under member_deactivated, not as one it will invite."""
        shown = preview(db, portal, csv_bytes(["email", DAN, "new@clientco.com"]), user_type="client")
        assert (shown["counts"]["member_deactivated"], shown["counts"]["will_invite"]) == (1, 1)
        assert [s["detail"] for s in shown["samples"]["member_deactivated"]] == [SKIPPED]


class TestAnInvitationSentBefore:
    @pytest.fixture
    def token(self, db, worker):
        """Eve was invited, then added quietly by a directory (the invitation still pending),
        then deactivated: the link she holds must not bring her back."""
        pf = create_portal(db)
        invite(db, pf, ["eve@acme.com"], role="admin")
        worker.drain()
        with db.unit_of_work() as session:
            owner = actor_for(session, pf.slug, pf.owner_email)
            members_flow.add_quietly(
                session, owner, [("eve@acme.com", "Eve")], user_type="internal", role="member", products=[]
            )
        member_id = _member(db, "eve@acme.com")[0]
        with db.unit_of_work() as session:
            members_flow.deactivate(session, actor_for(session, pf.slug, pf.owner_email), member_id)
        return pf, last_link(db, "eve@acme.com")

    def test_opening_and_accepting_are_refused(self, client, db, token):
        """Its page, the API's preview and accept all answer 403 member_deactivated, saying how to
        come back; she stays deactivated, a member, and the invitation stays pending."""
        pf, link = token
        before = _member(db, "eve@acme.com")
        for method, path, body in (
            (client.get, f"/api/v1/invitations/{link}", None),
            (client.post, f"/api/v1/invitations/{link}/accept", {"name": "Eve", "password": PASSWORD}),
        ):
            r = method(path, **({"json": body} if body else {}))
            assert (r.status_code, r.json()["code"]) == (403, "member_deactivated"), r.text
            assert r.json()["detail"] == (
                "An administrator ended your access to Acme Inc. "
                "Ask one of its owners or admins to reactivate you."
            )
        page = client.get(f"/invite/{link}")
        assert page.status_code == 403 and "reactivate you" in page.text
        with pytest.raises(MemberDeactivated), db.unit_of_work() as session:
            join.accept(session, token=link, name="Eve", password=PASSWORD)
        assert _member(db, "eve@acme.com") == before
        assert _invitations_to(db, "eve@acme.com") == ["pending"]

    def test_a_join_that_looked_before_the_deactivation_still_cannot_write_over_it(self, db, token):
        """The accept looked (the person was active), then an admin deactivated them before it
        wrote (PostgreSQL's read committed lets that happen): the one place every join passes
        through, ``members.service.activate``, refuses to write over a deactivated membership."""
        from admit.members import service as members_service

        pf, _link = token
        before = _member(db, "eve@acme.com")
        with pytest.raises(MemberDeactivated), db.unit_of_work() as session:
            user = members_service.get_user_by_email(session, "eve@acme.com")
            members_service.activate(
                session,
                portal_id=pf.portal_id,
                user_id=user.id,
                user_type="internal",
                role="admin",
                products=[],
                via=VIA_INVITATION,
            )
        assert _member(db, "eve@acme.com") == before

    def test_it_is_not_resent(self, db, token):
        """Resend refuses (403 member_deactivated, the skip's code) with the pipeline's words: its
        link could not be used."""
        pf, _link = token
        with db.unit_of_work() as session:
            invitation_id = session.scalar(
                select(Invitation.id).where(Invitation.recipient == "eve@acme.com")
            )
        with pytest.raises(MemberDeactivated) as refused, db.unit_of_work() as session:
            invitations_flow.resend(session, actor_for(session, pf.slug, pf.owner_email), invitation_id)
        assert refused.value.message == SKIPPED


def _invited_from_beta(db, worker, client, email, **joins) -> tuple[str, tuple]:
    """``email`` joins Beta (``member_joins``' options), then Acme invites them as an internal
    member: the link, and its preview's (account_exists, sign_in_required, password_required)."""
    member_joins(db, worker, create_portal(db, name="Beta", owner_email="boss@beta.com"), email, **joins)
    invite(db, create_portal(db), [email], role="member")
    worker.drain()
    link = last_link(db, email)
    p = client.get(f"/api/v1/invitations/{link}").json()
    return link, (p["account_exists"], p["sign_in_required"], p["password_required"])


class TestAPasswordlessAccount:
    def test_the_preview_says_the_account_exists(self, client, db, worker):
        """Cleo, a client of another portal with no password, is invited as an internal user: the
        preview says her account exists, that she need not sign in, and that she chooses a
        password; accepting gives the account its first one (README: never changed or reset)."""
        link, said = _invited_from_beta(
            db, worker, client, "cleo@client.org", user_type="client", password=None
        )
        assert said == (True, False, True)
        assert "Choose a password" in client.get(f"/invite/{link}").text
        r = client.post(f"/api/v1/invitations/{link}/accept", json={"name": "Cleo", "password": PASSWORD})
        assert r.status_code == 200, r.text
        with db.unit_of_work() as session:
            assert session.scalar(select(User.password_hash).where(User.email == "cleo@client.org"))

    def test_signed_in_she_is_offered_the_password_field(self, client, db, worker):
        """Cleo again, signed in by a sign-in link (her account has no password): accepting asks
        her for one, so the page offers the field (it hid it from anyone signed in, and she got
        "A password is required." with nowhere to type it); the password she types joins her."""
        link, said = _invited_from_beta(
            db, worker, client, "cleo@client.org", user_type="client", password=None
        )
        assert said == (True, False, True)
        assert client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@client.org"}).status_code == 202
        worker.drain()
        signed = client.post(f"/api/v1/auth/sign-in-link/{last_link(db, 'cleo@client.org', 'sign_in')}")
        assert signed.status_code == 200, signed.text
        page = client.get(f"/invite/{link}")
        assert page.status_code == 200, page.text
        assert "Choose a password" in page.text and 'id="password"' in page.text
        data = {"csrf_token": csrf_of(page.text), "password": PASSWORD}
        joined = client.post(f"/invite/{link}", data=data, follow_redirects=False)
        assert joined.status_code == 303, joined.text
        with db.unit_of_work() as session:
            assert session.scalar(select(User.password_hash).where(User.email == "cleo@client.org"))

    def test_an_account_with_a_password_signs_in(self, client, db, worker):
        """An account with a password: the preview says to sign in, and the page offers that."""
        link, said = _invited_from_beta(db, worker, client, "ada@beta.com")
        assert said == (True, True, False)
        assert "Sign in to accept" in client.get(f"/invite/{link}").text
