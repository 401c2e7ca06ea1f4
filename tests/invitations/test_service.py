"""invitations.service on both backends: invite, resend, revoke, expire, preview, accept."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from admit.errors import Conflict, Gone, InvalidInput, NotFound, PermissionDenied, SignInRequired
from admit.flows import invitations as invitations_flow
from admit.flows import join
from admit.flows import members as members_flow
from admit.invitations import service as invitations_service
from admit.invitations.models import Invitation
from admit.kit import clock
from admit.members.models import Member, User
from admit.notifications import mailbox
from admit.notifications.models import Notification
from admit.tokens.models import Token
from tests.factories import PASSWORD, actor_for, create_portal, invite, last_link, member_joins


def _accept(db, token, **kw):
    kw.setdefault("password", PASSWORD)
    with db.unit_of_work() as session:
        return join.accept(session, token=token, **kw)


def _count(db, model, *where):
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


class TestInvite:
    def test_each_recipient_gets_its_own_result(self, db):
        """Valid ones are invited; the rest are skipped with a reason code and detail."""
        pf = create_portal(db)
        result = invite(
            db,
            pf,
            "Ada Lovelace <Ada@Example.com>\nbad@\nada@example.COM; owner@acme.com,\tgrace@example.com",
        )
        assert [i.recipient for i in result.invited] == ["ada@example.com", "grace@example.com"]
        assert result.invited[0].recipient_name == "Ada Lovelace"
        codes = {s.recipient: s.code for s in result.skipped}
        assert codes == {
            "bad@": "invalid_recipient",
            "ada@example.COM": "duplicate",
            "owner@acme.com": "already_member",
        }
        assert "@" in next(s.detail for s in result.skipped if s.code == "invalid_recipient")

    def test_already_invited_points_to_resend(self, db):
        """A second invitation to a pending address is skipped as already_invited, naming the invitation."""
        pf = create_portal(db)
        first = invite(db, pf, ["ada@example.com"]).invited[0]
        again = invite(db, pf, [" ADA@example.com "])
        assert again.invited == []
        assert again.skipped[0].code == "already_invited"
        assert again.skipped[0].invitation_id == first.id
        assert "use Reinvite" in again.skipped[0].detail  # the button that sends it again
        assert _count(db, Invitation) == 1

    def test_idn_domains_are_normalised(self, db):
        """Unicode domains are stored in their IDNA form, so both spellings are one address."""
        pf = create_portal(db)
        result = invite(db, pf, ["jo@bücher.de", "jo@xn--bcher-kva.de"])
        assert [i.recipient for i in result.invited] == ["jo@xn--bcher-kva.de"]
        assert result.skipped[0].code == "duplicate"

    def test_member_may_invite_clients_only(self, db, worker):
        """An internal member invites clients; internal invitations are refused whole (403)."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com", role="member")
        ok = invite(db, pf, ["cli@example.org"], user_type="client", by="mel@acme.com")
        assert len(ok.invited) == 1
        with pytest.raises(PermissionDenied):
            invite(db, pf, ["x@example.org"], user_type="internal", by="mel@acme.com")
        assert _count(db, Invitation) == 2  # mel's own (accepted) and the client's

    def test_client_may_invite_nobody(self, db, worker):
        """Clients invite nobody."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "cli@example.org", user_type="client")
        for user_type in ("client", "internal"):
            with pytest.raises(PermissionDenied):
                invite(db, pf, ["y@example.org"], user_type=user_type, by="cli@example.org")

    def test_admin_cannot_invite_owner(self, db, worker):
        """Only an owner can invite an owner."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "adam@acme.com", role="admin")
        with pytest.raises(PermissionDenied):
            invite(db, pf, ["o2@acme.com"], role="owner", by="adam@acme.com")
        assert invite(db, pf, ["o2@acme.com"], role="owner").invited[0].role == "owner"

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"user_type": "robot"}, "user_type"),
            ({"role": "client"}, "role"),
            ({"role": "superuser"}, "role"),
            ({"products": ["teleport"]}, "products"),
            ({"message": "x" * 2001}, "message"),
        ],
    )
    def test_bad_request_names_the_field_and_writes_nothing(self, db, kwargs, field):
        """A malformed request is refused as a whole, naming the field; nothing is written."""
        pf = create_portal(db)
        with pytest.raises(InvalidInput) as info:
            invite(db, pf, ["ada@example.com"], **kwargs)
        assert info.value.field == field
        assert _count(db, Invitation) == 0
        assert _count(db, Notification) == 0

    def test_clients_always_get_client_role(self, db):
        """A client invitation has the client role and only enabled products."""
        pf = create_portal(db)
        inv = invite(
            db, pf, ["c@example.org"], user_type="client", products=["billing", "messaging"]
        ).invited[0]
        assert inv.role == "client"
        assert inv.products == ["messaging", "billing"]

    def test_invitation_expires_per_portal_lifetime(self, db):
        """The expiry is the portal's invitation lifetime from now (7 days by default)."""
        pf = create_portal(db)
        before = clock.now()
        inv = invite(db, pf, ["ada@example.com"]).invited[0]
        assert timedelta(days=7) <= inv.expires_at - before < timedelta(days=7, minutes=1)

    def test_token_is_only_stored_hashed(self, db, worker):
        """The raw token is stored nowhere: its single-use token row keeps its SHA-256 only."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        worker.drain()
        token = last_link(db, "ada@example.com")
        assert len(token) >= 43  # 32 bytes, base64url
        with db.unit_of_work() as session:
            inv = session.scalar(select(Invitation))
            row = session.scalar(select(Token).where(Token.subject_id == inv.id))
            assert (row.purpose, row.token_hash) == ("invitation", hashlib.sha256(token.encode()).hexdigest())
            assert token not in str([getattr(inv, c.key) for c in Invitation.__table__.columns])


class TestResendRevoke:
    def test_resend_kills_every_earlier_link(self, db, worker):
        """Resend sends a new link; the old one is dead from then on (superseded: 410)."""
        pf = create_portal(db)
        inv = invite(db, pf, ["ada@example.com"]).invited[0]
        worker.drain()
        old = last_link(db, "ada@example.com")
        with db.unit_of_work() as session:
            again = invitations_flow.resend(session, actor_for(session, pf.slug, pf.owner_email), inv.id)
            assert again.send_count == 2
        worker.drain()
        new = last_link(db, "ada@example.com")
        assert new != old
        # The new email says the earlier links died (the tester: "word for word the same").
        with db.unit_of_work() as session:
            second, first = mailbox.messages(session, to="ada@example.com")  # newest first
            replaced = (
                "It replaces the link of every earlier email about this invitation: those no longer work."
            )
            assert replaced in second.text and replaced in second.html and replaced not in first.text
        with pytest.raises(Gone) as gone:
            _accept(db, old)
        assert gone.value.code == "invitation_gone"
        assert _accept(db, new).member.status == "active"

    def test_resend_refused_once_accepted(self, db, worker):
        """Resend is for pending invitations only: 409 invitation_not_pending after accept."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "ada@example.com")
        with db.unit_of_work() as session:
            inv = session.scalar(select(Invitation))
            with pytest.raises(Conflict) as info:
                invitations_flow.resend(session, actor_for(session, pf.slug, pf.owner_email), inv.id)
        assert info.value.code == "invitation_not_pending"

    def test_member_cannot_resend_or_revoke(self, db, worker):
        """Only owners and admins resend or revoke portal invitations."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")
        inv = invite(db, pf, ["c@example.org"], user_type="client", by="mel@acme.com").invited[0]
        with db.unit_of_work() as session:
            actor = actor_for(session, pf.slug, "mel@acme.com")
            with pytest.raises(PermissionDenied):
                invitations_flow.resend(session, actor, inv.id)
            with pytest.raises(PermissionDenied):
                invitations_service.revoke(session, actor, inv.id)

    def test_revoke_kills_the_link(self, db, worker):
        """A revoked invitation's link answers 410 invitation_revoked."""
        pf = create_portal(db)
        inv = invite(db, pf, ["ada@example.com"]).invited[0]
        worker.drain()
        token = last_link(db, "ada@example.com")
        with db.unit_of_work() as session:
            invitations_service.revoke(session, actor_for(session, pf.slug, pf.owner_email), inv.id)
        with pytest.raises(Gone) as info:
            _accept(db, token)
        assert info.value.code == "invitation_gone"

    def test_other_portals_invitations_are_not_found(self, db):
        """An admin of one portal cannot see or touch another portal's invitations."""
        a = create_portal(db)
        b = create_portal(db, name="Beta", owner_email="boss@beta.com")
        inv = invite(db, a, ["ada@example.com"]).invited[0]
        with db.unit_of_work() as session, pytest.raises(NotFound):
            invitations_flow.resend(session, actor_for(session, b.slug, b.owner_email), inv.id)


class TestExpiry:
    def test_expired_link_says_so_and_reinvite_revives(self, db, worker):
        """After the lifetime the link is Expired (410); Reinvite sends a fresh link."""
        pf = create_portal(db)
        inv = invite(db, pf, ["ada@example.com"]).invited[0]
        worker.drain()
        token = last_link(db, "ada@example.com")
        with clock.travel(timedelta(days=7, seconds=1)):
            with pytest.raises(Gone) as info:
                _accept(db, token)
            assert info.value.code == "invitation_gone"
            with db.unit_of_work() as session:
                rows, _ = invitations_service.list_invitations(
                    session, actor_for(session, pf.slug, pf.owner_email), status="expired"
                )
                assert [r.id for r in rows] == [inv.id]
                assert invitations_service.expire_due(session) == 1
                invitations_flow.resend(session, actor_for(session, pf.slug, pf.owner_email), inv.id)
            worker.drain()
            fresh = last_link(db, "ada@example.com")
            assert _accept(db, fresh).member.role == "member"

    def test_the_sweep_writes_an_audit_event_per_invitation(self, db):
        """Each invitation the worker's sweep expires is in the Audit Log, by the system, in one
        statement for all of them (nothing was written before); a second sweep writes none."""
        from admit.audit.models import AuditEvent
        from admit.audit.words import sentence

        pf = create_portal(db)
        invite(db, pf, ["ada@example.com", "bob@example.com"])
        with clock.travel(timedelta(days=7, seconds=1)), db.unit_of_work() as session:
            assert invitations_service.expire_due(session) == 2
            assert invitations_service.expire_due(session) == 0
            events = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "invitation.expired")
            ).all()
            assert sorted(sentence(e) for e in events) == [
                "system expired the invitation to ada@example.com (not accepted in time)",
                "system expired the invitation to bob@example.com (not accepted in time)",
            ]
            assert {(e.actor_user_id, e.target_type, e.ip) for e in events} == {(None, "invitation", None)}

    def test_new_invitation_replaces_an_expired_one(self, db):
        """Inviting an address whose invitation expired makes a new one (not already_invited)."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        with clock.travel(timedelta(days=8)):
            again = invite(db, pf, ["ada@example.com"])
        assert len(again.invited) == 1
        with db.unit_of_work() as session:
            statuses = sorted(session.scalars(select(Invitation.status)))
        assert statuses == ["expired", "pending"]


class TestListAndCount:
    def test_count_matches_every_page_of_the_list(self, db, worker):
        """count_invitations counts what list_invitations gives over all its pages, with the same
        filters and the same visibility (an internal member sees client invitations only)."""
        pf = create_portal(db)
        invite(db, pf, ["a@x.com", "b@x.com", "c@x.com"], user_type="client")
        invite(db, pf, ["d@x.com", "e@x.com"], role="admin")
        with db.unit_of_work() as session:
            owner = actor_for(session, pf.slug, pf.owner_email)
            invitations_service.revoke(
                session, owner, invitations_service.list_invitations(session, owner, limit=1)[0][0].id
            )

        def listed_and_counted(email=pf.owner_email, **filters):
            with db.unit_of_work() as session:
                actor = actor_for(session, pf.slug, email)
                ids, cursor = [], None
                while True:
                    rows, cursor = invitations_service.list_invitations(
                        session, actor, cursor=cursor, limit=2, **filters
                    )
                    ids += [r.id for r in rows]
                    if cursor is None:
                        return len(ids), invitations_service.count_invitations(session, actor, **filters)

        assert listed_and_counted() == (5, 5)
        assert listed_and_counted(user_type="client") == (3, 3)
        assert listed_and_counted(status="pending") == (4, 4)
        assert listed_and_counted(status="revoked", user_type="internal") == (1, 1)
        member_joins(db, worker, pf, "mel@acme.com")
        assert listed_and_counted("mel@acme.com") == (3, 3)


class TestAccept:
    def test_internal_needs_a_strong_password(self, db, worker):
        """An internal invitee must choose a password that meets the rule (named in the error)."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        worker.drain()
        token = last_link(db, "ada@example.com")
        for bad in (None, "short", "aaaaaaaaaaaa", "ada@example.com"):
            with pytest.raises(InvalidInput) as info:
                _accept(db, token, password=bad)
            assert info.value.field == "password"
        result = _accept(db, token, name="Ada")
        assert result.user.password_hash.startswith("$argon2id$")
        assert result.member.status == "active"

    def test_client_joins_without_password(self, db, worker):
        """A client's link is a magic link: no password needed."""
        pf = create_portal(db)
        invite(db, pf, ["c@example.org"], user_type="client")
        worker.drain()
        result = _accept(db, last_link(db, "c@example.org"), password=None)
        assert result.user.password_hash is None
        assert (result.member.user_type, result.member.role) == ("client", "client")

    def test_portal_may_require_client_password(self, db, worker):
        """With client_require_password a client must choose a password too."""
        pf = create_portal(db)
        with db.unit_of_work() as session:
            from admit.portals import service as portals_service

            portals_service.update_settings(
                session, actor_for(session, pf.slug, pf.owner_email), client_require_password=True
            )
        invite(db, pf, ["c@example.org"], user_type="client")
        worker.drain()
        with pytest.raises(InvalidInput):
            _accept(db, last_link(db, "c@example.org"), password=None)

    def test_single_use(self, db, worker):
        """A used link answers 410 invitation_used and creates nothing more."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        worker.drain()
        token = last_link(db, "ada@example.com")
        _accept(db, token)
        with pytest.raises(Gone) as info:
            _accept(db, token)
        assert info.value.code == "invitation_gone"
        assert _count(db, Member) == 2

    def test_role_comes_from_the_invitation(self, db, worker):
        """The member gets the invitation's role, type and products, whatever the request says."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"], role="admin", products=["analytics"])
        worker.drain()
        member = _accept(db, last_link(db, "ada@example.com")).member
        assert (member.role, member.user_type, member.products) == ("admin", "internal", ["analytics"])

    def test_existing_account_must_sign_in(self, db, worker):
        """An address with an account must be signed in to accept; its password is never reset."""
        a = create_portal(db)
        b = create_portal(db, name="Beta", owner_email="boss@beta.com")
        member_joins(db, worker, a, "ada@example.com")
        with db.unit_of_work() as session:
            old_hash = session.scalar(select(User.password_hash).where(User.email == "ada@example.com"))
        invite(db, b, ["ada@example.com"])
        worker.drain()
        token = last_link(db, "ada@example.com")
        with pytest.raises(SignInRequired):
            _accept(db, token, password="attacker-chosen-password")
        with db.unit_of_work() as session:
            ada = session.scalar(select(User).where(User.email == "ada@example.com"))
            assert ada.password_hash == old_hash
            result = join.accept(session, token=token, current_user=ada)
            assert result.member.portal_id == b.portal_id
            assert ada.password_hash == old_hash

    def test_signed_in_as_someone_else(self, db, worker):
        """Signed in as another user: refused as wrong_account, and the link stays usable."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        worker.drain()
        token = last_link(db, "ada@example.com")
        with db.unit_of_work() as session:
            owner = session.scalar(select(User).where(User.email == pf.owner_email))
            with pytest.raises(SignInRequired) as info:
                join.accept(session, token=token, current_user=owner)
        assert info.value.code == "wrong_account"
        assert _accept(db, token).member.status == "active"

    def test_a_phone_number_is_said_spaced_in_the_refusals(self, db, worker):
        """Accepting a phone invitation signed in as another, or without signing in to the
        number's account, names the number as the pages show it ("+1 202-555-0173"), not as
        stored ("+12025550173")."""
        b = create_portal(db, name="Beta", owner_email="boss@beta.com")
        member_joins(db, worker, create_portal(db), "+12025550173")  # a password of their own
        invite(db, b, ["+12025550173"])
        worker.drain()
        token = last_link(db, "+12025550173")
        with pytest.raises(SignInRequired) as info:
            _accept(db, token)
        assert str(info.value) == "An account already exists for +1 202-555-0173. Sign in to accept."
        with db.unit_of_work() as session:
            owner = session.scalar(select(User).where(User.email == b.owner_email))
            with pytest.raises(SignInRequired) as info:
                join.accept(session, token=token, current_user=owner)
        said = "This invitation is for +1 202-555-0173. Sign out and continue as that address."
        assert str(info.value) == said

    def test_preview_never_uses_the_link(self, db, worker):
        """Opening (previewing) a link any number of times leaves it pending."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        worker.drain()
        token = last_link(db, "ada@example.com")
        for _ in range(3):
            with db.unit_of_work() as session:
                p = join.preview(session, token)
                assert (p.portal.name, p.invitation.recipient, p.inviter_name) == (
                    "Acme Inc",
                    "ada@example.com",
                    "Olive Owner",
                )
        _accept(db, token)

    def test_only_products_still_enabled_are_granted(self, db, worker):
        """A product the portal turned off after the invitation was sent is not granted."""
        from admit.portals import service as portals_service

        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"], products=["messaging", "billing"])
        worker.drain()
        with db.unit_of_work() as session:
            owner = actor_for(session, pf.slug, pf.owner_email)
            portals_service.update_settings(session, owner, enabled_products=["messaging", "workspaces"])
        result = _accept(db, last_link(db, "ada@example.com"), name="Ada")
        assert result.member.products == ["messaging"]

    def test_a_deactivated_member_is_not_invited_again(self, db, worker):
        """A deactivated member is skipped (member_deactivated), whatever the type and role
        asked: Reactivate is the way back (``tests/invitations/test_deactivated_members.py``)."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "ada@example.com")

        with db.unit_of_work() as session:
            member = session.scalar(
                select(Member).join(User, Member.user_id == User.id).where(User.email == "ada@example.com")
            )
            members_flow.deactivate(session, actor_for(session, pf.slug, pf.owner_email), member.id)
        again = invite(db, pf, ["ada@example.com"], role="admin")
        assert (again.invited, [s.code for s in again.skipped]) == ([], ["member_deactivated"])


def _deactivate(db, pf, email):
    with db.unit_of_work() as session:
        member = session.scalar(
            select(Member).join(User, Member.user_id == User.id).where(User.email == email)
        )
        members_flow.deactivate(session, actor_for(session, pf.slug, pf.owner_email), member.id)


def _not_grantable(db, token):
    """Opening and accepting both answer 410 invitation_not_grantable; nobody joins."""
    with pytest.raises(Gone) as shown, db.unit_of_work() as session:
        join.preview(session, token)
    with pytest.raises(Gone) as accepted:
        _accept(db, token, name="Vic")
    assert shown.value.code == accepted.value.code == "invitation_not_grantable"
    return accepted.value


class TestInviterStillGrants:
    """At accept, an invitation stands only while whoever made it could still make it."""

    def test_a_deactivated_admins_invitation_cannot_be_accepted(self, db, worker):
        """Admin X invites V as admin, X is deactivated: V cannot become an admin through it."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "xavier@acme.com", role="admin")
        invite(db, pf, ["vic@example.com"], role="admin", by="xavier@acme.com")
        worker.drain()
        token = last_link(db, "vic@example.com")
        _deactivate(db, pf, "xavier@acme.com")
        error = _not_grantable(db, token)
        assert "no longer" in error.message
        assert _count(db, Member, Member.role == "admin", Member.status == "active") == 0
        with db.unit_of_work() as session:  # still pending: an admin may revoke it and invite again
            status = session.scalar(select(Invitation.status).where(Invitation.recipient.like("vic@%")))
            assert status == "pending"

    def test_a_resend_by_someone_who_may_grant_it_makes_it_theirs(self, db, worker):
        """The tester: admin Adam resent a client invitation of Mel, deactivated since; the email
        said "Adam Second invited you" and its link answered invitation_not_grantable ("ask an
        administrator to invite you again": one just had). A Resend by someone who may grant it
        makes it theirs (Invited by), and its link works; by someone who may not (an admin, of
        an owner invitation whose owner is gone), it is refused and nothing is sent."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")
        member_joins(db, worker, pf, "adam@acme.com", role="admin")
        member_joins(db, worker, pf, "olga@acme.com", role="owner")
        (carl,) = invite(db, pf, ["carl@example.org"], user_type="client", by="mel@acme.com").invited
        (vic,) = invite(db, pf, ["vic@example.com"], role="owner", by="olga@acme.com").invited
        worker.drain()
        _deactivate(db, pf, "mel@acme.com")
        _deactivate(db, pf, "olga@acme.com")
        with clock.travel(timedelta(minutes=2)):
            with db.unit_of_work() as session:
                adam = actor_for(session, pf.slug, "adam@acme.com")
                invitations_flow.resend(session, adam, carl.id)
                assert session.get(Invitation, carl.id).invited_by_id == adam.user_id
            worker.drain()
            result = _accept(db, last_link(db, "carl@example.org"), password=None)
        assert (result.member.status, result.member.role) == ("active", "client")
        with db.unit_of_work() as session:  # the log says whose grant it now is, and whose it was
            from admit.audit.models import AuditEvent
            from admit.audit.words import sentence

            resent = session.scalar(select(AuditEvent).where(AuditEvent.action == "invitation.resent"))
            said = sentence(resent)
        taken = "and made it theirs (mel, who made it, can no longer give it)"
        assert said.endswith(f"resent the invitation to carl@example.org {taken}"), said

        sent_before = _count(db, Notification, Notification.to_address == "vic@example.com")
        with (
            clock.travel(timedelta(minutes=2)),
            pytest.raises(PermissionDenied) as refused,
            db.unit_of_work() as session,
        ):
            invitations_flow.resend(session, actor_for(session, pf.slug, "adam@acme.com"), vic.id)
        assert "no longer" in refused.value.message and "owner" in refused.value.message, (
            refused.value.message
        )
        assert _count(db, Notification, Notification.to_address == "vic@example.com") == sent_before
        with clock.travel(timedelta(minutes=2)):
            with db.unit_of_work() as session:
                owner = actor_for(session, pf.slug, pf.owner_email)
                invitations_flow.resend(session, owner, vic.id)
            worker.drain()
            result = _accept(db, last_link(db, "vic@example.com"), name="Vic", password=PASSWORD)
        assert (result.member.status, result.member.role) == ("active", "owner")

    def test_an_inviter_whose_role_fell_below_the_invitation(self, db, worker):
        """An admin who is now a member can no longer grant internal invitations; their client
        invitations still stand (members invite clients)."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "xavier@acme.com", role="admin")
        invite(db, pf, ["vic@example.com"], role="admin", by="xavier@acme.com")
        invite(db, pf, ["cleo@example.org"], user_type="client", by="xavier@acme.com")
        worker.drain()
        with db.unit_of_work() as session:
            member = session.scalar(
                select(Member).join(User, Member.user_id == User.id).where(User.email == "xavier@acme.com")
            )
            member.role = "member"
        _not_grantable(db, last_link(db, "vic@example.com"))
        result = _accept(db, last_link(db, "cleo@example.org"), password=None)
        assert (result.member.status, result.member.role) == ("active", "client")

    def test_an_api_key_acts_for_its_maker(self, db, worker):
        """An invitation made with an API key is its maker's: once they cannot grant it, neither
        can the invitation."""
        from admit.actor import Actor
        from admit.auth import service as auth_service

        pf = create_portal(db)
        member_joins(db, worker, pf, "xavier@acme.com", role="admin")
        with db.unit_of_work() as session:
            xavier = actor_for(session, pf.slug, "xavier@acme.com")
            _raw, key = auth_service.issue_api_key(session, xavier, name="HR sync")
            by_key = Actor(portal=xavier.portal, role=key.role, api_key=key)
            invitations_service.invite(
                session, by_key, recipients=["vic@example.com"], user_type="internal", role="admin"
            )
        worker.drain()
        _deactivate(db, pf, "xavier@acme.com")
        _not_grantable(db, last_link(db, "vic@example.com"))

    def test_the_systems_invitations_stand(self, db, worker):
        """An invitation made by nobody in particular (the system: no user, no key) is the
        deployment's own and is accepted as it is."""
        from admit.actor import Actor

        pf = create_portal(db)
        with db.unit_of_work() as session:
            portal = actor_for(session, pf.slug, pf.owner_email).portal
            system = Actor(portal=portal, role="owner")
            invitations_service.invite(
                session, system, recipients=["vic@example.com"], user_type="internal", role="admin"
            )
        worker.drain()
        result = _accept(db, last_link(db, "vic@example.com"), name="Vic")
        assert (result.member.status, result.member.role) == ("active", "admin")


class TestSendingLimit:
    def test_a_request_over_the_limit_invites_nobody(self, db, change_settings, rate_limits):
        """The portal's sending limit counts each email; a request that does not fit writes nothing."""
        from admit.errors import RateLimited

        pf = create_portal(db)
        change_settings(invite_rate_limit="3/hour")
        with pytest.raises(RateLimited):
            invite(db, pf, ["a@example.com", "b@example.com", "c@example.com", "d@example.com"])
        assert _count(db, Invitation) == 0
        assert len(invite(db, pf, ["a@example.com", "b@example.com", "c@example.com"]).invited) == 3

    def test_text_messages_count_like_emails(self, db, change_settings, rate_limits):  # noqa: ARG002
        """Issue 14 item 9: an invitation by SMS takes a place in the portal's limit too."""
        from admit.errors import RateLimited

        pf = create_portal(db)
        change_settings(invite_rate_limit="3/hour")
        sent = invite(db, pf, ["+1 202 555 0173", "+1 202 555 0188", "a@example.com"], user_type="client")
        assert len(sent.invited) == 3, sent.skipped
        with pytest.raises(RateLimited):
            invite(db, pf, ["+1 202 555 0199"], user_type="client")
        assert _count(db, Invitation) == 3

    def test_a_member_has_a_quota_of_their_own(self, db, worker, change_settings, rate_limits):  # noqa: ARG002
        """Issue 14 item 9: a member may send ADMIT_MEMBER_INVITE_RATE_LIMIT invitations a day;
        a request over it is refused saying so, and nothing of it is written. Owners and admins
        answer to the portal's limit only."""
        from admit.errors import RateLimited

        pf = create_portal(db)
        member_joins(db, worker, pf, "mia@acme.com", role="member")
        change_settings(member_invite_rate_limit="2/day")
        invite(db, pf, ["c1@example.com"], user_type="client", by="mia@acme.com")
        with pytest.raises(RateLimited) as refused:
            invite(db, pf, ["c2@example.com", "c3@example.com"], user_type="client", by="mia@acme.com")
        assert "as many invitations as a member may (2 per day)" in refused.value.message
        assert refused.value.fields["retry_after"] > 3600
        assert len(invite(db, pf, ["c2@example.com"], user_type="client", by="mia@acme.com").invited) == 1
        with pytest.raises(RateLimited):
            invite(db, pf, ["c3@example.com"], user_type="client", by="mia@acme.com")
        assert _count(db, Invitation) == 3  # the owner's own invitation of Mia, and Mia's two
        assert len(invite(db, pf, ["c3@example.com", "c4@example.com"], user_type="client").invited) == 2


def test_a_batch_summary_reads_like_a_sentence():
    from admit.invitations.pipeline import summary

    assert summary(12, {}) == "12 invited"
    assert summary(12, {"already_member": 1, "invalid_recipient": 1}) == (
        "12 invited · 2 skipped: 1 already a member, 1 not a usable email or phone number"
    )
    assert summary(0, {"invalid_recipient": 3, "duplicate": 1}) == (
        "0 invited · 4 skipped: 3 not usable emails or phone numbers, 1 listed twice"
    )
    # People put in a workspace as well (the workspace page, the CLI's workspaces add).
    assert summary(0, {}, added=1) == "1 added"  # none invited: not said
    assert summary(2, {"already_in_workspace": 1}, added=1) == (
        "1 added · 2 invited · 1 skipped: 1 already in the workspace"
    )
    # Invited as what (the Invite box's report: a paste of colleagues sent as clients said so).
    assert summary(5, {}, user_type="client") == "5 invited as clients"
    assert summary(1, {"duplicate": 1}, user_type="internal") == (
        "1 invited as an internal user · 1 skipped: 1 listed twice"
    )
    assert summary(0, {"invalid_recipient": 1}, user_type="client") == (
        "0 invited · 1 skipped: 1 not a usable email or phone number"
    )


def test_every_reason_to_skip_has_words_in_a_summary():
    """Each skip code reads as words in the one-line summary (the Invite box, the CLI): a
    suppressed address's summary once raised, its entry a sentence where a pair belongs."""
    from admit.invitations.pipeline import SUMMARY_WORDS, SkipCode, summary

    for code in SkipCode:
        one, many = SUMMARY_WORDS[code]
        assert summary(1, {str(code): 1}) == f"1 invited · 1 skipped: 1 {one}"
        assert summary(0, {str(code): 2}) == f"0 invited · 2 skipped: 2 {many}"
    assert summary(1, {"address_suppressed": 1}) == "1 invited · 1 skipped: 1 bounced before"
