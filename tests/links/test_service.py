"""links.service on both backends: the portal link (copy, refresh, policy), sign-up and
confirmation, the domain rule, use limits, and workspace join requests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from admit.audit.models import AuditEvent
from admit.auth import service as auth_service
from admit.errors import (
    Conflict,
    DomainNotAllowed,
    Gone,
    InvalidInput,
    MemberDeactivated,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
    SignInRequired,
)
from admit.flows import join, workspace_links
from admit.flows import join_requests as join_requests_flow
from admit.flows import members as members_flow
from admit.flows import signups as signups_flow
from admit.invitations.models import Invitation
from admit.kit import clock
from admit.kit.tokens import hash_token
from admit.links import service as links_service
from admit.links import signups
from admit.links.models import InviteLink, LinkSignup
from admit.members import service as members_service
from admit.members.models import Member, User
from admit.notifications import bounces, mailbox, sealed
from admit.notifications.models import Notification
from admit.people import roster as people_roster
from admit.workspaces import join_requests
from admit.workspaces import service as workspaces_service
from admit.workspaces.models import JoinRequest, Workspace, WorkspaceMember
from tests.factories import PASSWORD, actor_for, create_portal, invite, last_link, member_joins
from tests.links.helpers import (
    ask_to_join,
    confirm,
    confirmation_token,
    count,
    create_workspace,
    link_token,
    refresh,
    set_policy,
    sign_up,
    workspace_token,
)


def _preview(db, token):
    with db.unit_of_work() as session:
        return workspace_links.preview(session, token)


def _signed_up(db, token: str, email: str) -> str:
    """Sign up through the link; returns the confirmation token emailed."""
    sign_up(db, token, email)
    return confirmation_token(db, email)


def _gone_message(db, token) -> str:
    with pytest.raises(Gone) as info:
        _preview(db, token)
    assert info.value.code == "link_gone"
    return info.value.message


def _audit(db, action) -> list[AuditEvent]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


class TestPortalLink:
    def test_a_new_link_starts_off(self, db):
        """The portal's link is made when User Management first shows it: turned off, with the
        default lifetime (10 days, seed 002) that starts when it is turned on; until then it lets
        nobody in. Turning it on is audited."""
        pf = create_portal(db)
        with db.unit_of_work() as session:
            view = links_service.open_portal_link(session, actor_for(session, pf.slug, pf.owner_email))[0]
            token = view.url.rsplit("/join/", 1)[1]
        assert (view.state, view.link.enabled, view.link.expires_at) == ("disabled", False, None)
        assert view.link.lifetime_seconds == 10 * 24 * 3600
        assert view.link.allowed_domains == ["acme.com"] and view.link.role == "member"
        _gone_message(db, token)
        with pytest.raises(Gone):
            sign_up(db, token, "ada@acme.com")
        with clock.travel(timedelta(days=3)):
            view = set_policy(db, pf, enabled=True)
            assert view.state == "active"
            assert abs(view.link.expires_at - (clock.now() + timedelta(days=10))) < timedelta(seconds=5)
            assert _preview(db, token).portal.name == "Acme Inc"
        assert _audit(db, "invite_link.policy_changed")[0].detail["enabled"] == [False, True]

    def test_a_new_link_is_for_the_company_domain_of_whoever_made_it(self, db):
        """Seed 002: the link "can only be used with email addresses with your company's domain":
        a new link accepts the domain of whoever made it (owner@acme.com: acme.com), unless that is
        a personal mail service's (gmail.com: any address, the owner chooses)."""
        work = create_portal(db)
        personal = create_portal(db, name="Solo Studio", owner_email="solo.studio@gmail.com")
        with db.unit_of_work() as session:
            at_work, _ = links_service.open_portal_link(
                session, actor_for(session, work.slug, work.owner_email)
            )
            at_home = links_service.open_portal_link(
                session, actor_for(session, personal.slug, personal.owner_email)
            )[0]
            assert (at_work.link.allowed_domains, at_home.link.allowed_domains) == (["acme.com"], [])
        token = link_token(db, work)
        with pytest.raises(DomainNotAllowed):
            sign_up(db, token, "ada@example.org")
        sign_up(db, token, "ada@acme.com")
        set_policy(db, work, allowed_domains=[])  # any address: the owner's choice
        sign_up(db, token, "bob@example.org")

    def test_never_expiring_is_an_explicit_choice(self, db):
        """No expiry is chosen with never_expires (audited as such); a null lifetime or expiry
        is refused, naming the field, and so is an expiry beyond the 365-day cap."""
        pf = create_portal(db)
        link_token(db, pf)
        for changes, field in [
            ({"lifetime_seconds": None}, "lifetime_seconds"),
            ({"expires_at": None}, "expires_at"),
            ({"expires_at": clock.now() + timedelta(days=366)}, "expires_at"),
            ({"never_expires": True, "lifetime_seconds": 3600}, "never_expires"),
        ]:
            with pytest.raises(InvalidInput) as info:
                set_policy(db, pf, **changes)
            assert info.value.fields.get("field") == field, changes
        view = set_policy(db, pf, expires_at=clock.now() + timedelta(days=364))
        assert view.link.expires_at is not None
        view = set_policy(db, pf, never_expires=True)
        assert (view.link.lifetime_seconds, view.link.expires_at) == (None, None)
        (detail,) = [
            e.detail for e in _audit(db, "invite_link.policy_changed") if "never_expires" in e.detail
        ]
        assert detail["never_expires"] == [False, True] and detail["expires_at"][1] is None
        with clock.travel(timedelta(days=400)):
            assert _preview(db, link_token(db, pf)).portal.name == "Acme Inc"
        view = set_policy(db, pf, never_expires=False)  # back to the default lifetime, from now
        assert view.link.lifetime_seconds == 10 * 24 * 3600 and view.link.expires_at is not None

    def test_first_use_makes_the_link(self, db):
        """Copy Link works from the start: the link is made on first use, once, and audited."""
        pf = create_portal(db)
        token = link_token(db, pf)
        assert token == link_token(db, pf)
        assert count(db, InviteLink) == 1
        assert len(_audit(db, "invite_link.created")) == 1
        p = _preview(db, token)
        assert p.portal.name == "Acme Inc" and p.link.user_type == "internal" and p.password_required

    def test_only_the_hash_is_stored(self, db):
        """The 256-bit token is in no column; its SHA-256 is."""
        pf = create_portal(db)
        token = link_token(db, pf)
        assert len(token) == 43  # 32 bytes, base64url
        with db.unit_of_work() as session:
            link = session.scalar(select(InviteLink))
            assert link.token_hash == hash_token(token)
            values = [str(getattr(link, c.key)) for c in InviteLink.__table__.columns]
        assert not any(token in v for v in values)

    def test_refresh_kills_the_old_link(self, db):
        """Refresh: a new link at once; the previous one is gone for everyone, and it is audited."""
        pf = create_portal(db)
        old = link_token(db, pf)
        new = refresh(db, pf)
        assert new != old
        _gone_message(db, old)
        assert _preview(db, new).portal.name == "Acme Inc"
        with pytest.raises(Gone):
            sign_up(db, old, "ada@acme.com")
        assert count(db, LinkSignup) == 0
        assert len(_audit(db, "invite_link.refreshed")) == 1

    def test_refresh_stops_unconfirmed_signups(self, db):
        """A sign-up made through the old link can no longer be confirmed after a Refresh."""
        pf = create_portal(db)
        sign_up(db, link_token(db, pf), "ada@acme.com")
        refresh(db, pf)
        with pytest.raises(Gone) as info:
            confirm(db, confirmation_token(db, "ada@acme.com"))
        assert info.value.code == "link_gone"
        assert count(db, User, User.email == "ada@acme.com") == 0

    def test_only_owners_and_admins_manage_it(self, db, worker):
        """Members and clients can neither see, refresh nor change the portal's link."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com", role="member")
        member_joins(db, worker, pf, "cli@example.org", user_type="client")
        member_joins(db, worker, pf, "adam@acme.com", role="admin")
        assert link_token(db, pf, by="adam@acme.com")
        for email in ("mel@acme.com", "cli@example.org"):
            with db.unit_of_work() as session:
                actor = actor_for(session, pf.slug, email)
                with pytest.raises(PermissionDenied):
                    links_service.open_portal_link(session, actor)[0]
                with pytest.raises(PermissionDenied):
                    links_service.refresh_portal_link(session, actor)
                with pytest.raises(PermissionDenied):
                    links_service.update_portal_link(session, actor, max_uses=1)

    def test_policy_changes_are_audited(self, db):
        """Each policy change records the old and the new value."""
        pf = create_portal(db)
        view = set_policy(db, pf, allowed_domains=["ACME.com", "@eu.acme.com", "acme.com"], max_uses=5)
        assert view.link.allowed_domains == ["acme.com", "eu.acme.com"]
        events = _audit(db, "invite_link.policy_changed")
        assert len(events) == 1
        assert events[0].detail == {
            "allowed_domains": [["acme.com"], ["acme.com", "eu.acme.com"]],  # from the maker's
            "max_uses": [None, 5],
        }
        set_policy(db, pf, max_uses=5)  # no change, no event
        assert len(_audit(db, "invite_link.policy_changed")) == 1

    def test_policy_validation(self, db):
        """Bad values name the field; a link never grants owner; a client link grants client."""
        pf = create_portal(db)
        for changes, field in [
            ({"role": "owner"}, None),
            ({"allowed_domains": ["*.acme.com"]}, "allowed_domains.0"),
            ({"allowed_domains": ["not a domain"]}, "allowed_domains.0"),
            ({"max_uses": 0}, "max_uses"),
            ({"lifetime_seconds": 60}, "lifetime_seconds"),
            ({"lifetime_seconds": 3600, "expires_at": clock.now() + timedelta(days=1)}, "expires_at"),
            ({"expires_at": clock.now() - timedelta(days=1)}, "expires_at"),
            ({"user_type": "client", "role": "admin"}, "role"),
            ({"products": ["messaging", "teleportation"]}, "products"),
        ]:
            with pytest.raises((InvalidInput, PermissionDenied)) as info:
                set_policy(db, pf, **changes)
            if field:
                assert info.value.fields.get("field") == field, changes
        view = set_policy(db, pf, user_type="client")
        assert (view.link.user_type, view.link.role) == ("client", "client")
        view = set_policy(db, pf, user_type="internal", role="admin")
        assert (view.link.user_type, view.link.role) == ("internal", "admin")

    def test_lifetime_of_ten_days(self, db):
        """A lifetime (seed 002: 10 days) sets the expiry; Refresh starts it again."""
        pf = create_portal(db)
        view = set_policy(db, pf, lifetime_seconds=10 * 24 * 3600)
        assert abs(view.link.expires_at - (clock.now() + timedelta(days=10))) < timedelta(seconds=5)
        token = link_token(db, pf)
        with clock.travel(timedelta(days=10, seconds=1)):
            _gone_message(db, token)
            new = refresh(db, pf)
            assert _preview(db, new).link.expires_at > clock.now() + timedelta(days=9)
        view = set_policy(db, pf, never_expires=True)
        assert view.link.expires_at is None

    def test_saving_the_same_lifetime_keeps_the_expiry(self, db):
        """Setting the lifetime the link already has does not restart its expiry (whoever asks:
        the page, the API or the CLI); a different lifetime does."""
        pf = create_portal(db)
        link_token(db, pf)
        first = set_policy(db, pf, lifetime_seconds=10 * 24 * 3600).link.expires_at
        with clock.travel(timedelta(days=3)):
            again = set_policy(db, pf, lifetime_seconds=10 * 24 * 3600).link.expires_at
            assert again == first
            changed = set_policy(db, pf, lifetime_seconds=5 * 24 * 3600).link.expires_at
            assert abs(changed - (clock.now() + timedelta(days=5))) < timedelta(seconds=5)

    def test_secret_key_change_makes_the_url_unavailable(self, db, change_settings):
        """If the secret key changes, the URL cannot be rebuilt; Refresh gives a working one."""
        pf = create_portal(db)
        link_token(db, pf)
        change_settings(secret_key="another-secret-key-1234567890")
        with db.unit_of_work() as session:
            view = links_service.open_portal_link(session, actor_for(session, pf.slug, pf.owner_email))[0]
        assert view.url is None
        assert _preview(db, refresh(db, pf)).portal.name == "Acme Inc"

    def test_a_role_is_refused_in_the_policys_words(self, db):
        """A link's role that is no internal role is refused as every role is
        (``policy.internal_role_of``: it said "admin or member", leaving out that owners exist);
        owner is refused for a link, with the reason (``policy.check_link_role``)."""
        pf = create_portal(db)
        with db.unit_of_work() as session:
            actor = actor_for(session, pf.slug, pf.owner_email)
            with pytest.raises(InvalidInput) as refused:
                links_service.update_portal_link(session, actor, role="boss")
            with pytest.raises(PermissionDenied) as owner:
                links_service.update_portal_link(session, actor, role="owner")
        assert (refused.value.message, refused.value.fields["field"]) == (
            "An internal user's role must be owner, admin or member.",
            "role",
        )
        assert owner.value.message.startswith("An invite link cannot make people owners")


class TestGone:
    def test_every_dead_link_answers_the_same(self, db):
        """Unknown, refreshed, expired, disabled and used-up links: one code, one message."""
        pf = create_portal(db)
        messages = {_gone_message(db, "never-existed")}
        old = link_token(db, pf)
        token = refresh(db, pf)
        messages.add(_gone_message(db, old))
        set_policy(db, pf, expires_at=clock.now() + timedelta(hours=1))
        with clock.travel(timedelta(hours=2)):
            messages.add(_gone_message(db, token))
        set_policy(db, pf, enabled=False)
        messages.add(_gone_message(db, token))
        set_policy(db, pf, enabled=True, max_uses=1)
        sign_up(db, token, "ada@acme.com")
        messages.add(_gone_message(db, token))
        assert len(messages) == 1


class TestDomainRule:
    @pytest.mark.parametrize(
        ("address", "allowed"),
        [
            ("ada@acme.com", True),
            ("Ada@ACME.COM", True),
            ("ada@ａｃｍｅ.com", True),  # fullwidth letters: IDNA maps them to acme.com
            ("ada@sub.acme.com", False),
            ("ada@acme.com.evil.example", False),
            ("ada@evilacme.com", False),
            ("ada@аcme.com", False),  # Cyrillic а: xn--cme-5cd.com, a different domain
            ("acme.com@evil.example", False),
        ],
    )
    def test_exact_normalised_domain(self, db, address, allowed):
        """Only the listed domain, matched after IDNA and lowercasing; subdomains not included."""
        pf = create_portal(db)
        set_policy(db, pf, allowed_domains=["acme.com"])
        token = link_token(db, pf)
        if allowed:
            assert sign_up(db, token, address).email.endswith("@acme.com")
        else:
            with pytest.raises(InvalidInput) as info:
                sign_up(db, token, address)
            assert info.value.code == "domain_not_allowed"
            assert info.value.fields["field"] == "email"
            # It names the domain typed, never the allowed ones (whose link it is stays untold).
            typed = address.rpartition("@")[2]
            assert typed in info.value.message or "xn--" in typed or "\u0430" in typed
            assert "acme.com" not in info.value.message.replace(typed, "")

    def test_invalid_special_use_domain(self, db):
        """acme.com.evil.test is not even a deliverable address: refused, naming the field."""
        pf = create_portal(db)
        set_policy(db, pf, allowed_domains=["acme.com"])
        with pytest.raises(InvalidInput) as info:
            sign_up(db, link_token(db, pf), "ada@acme.com.evil.test")
        assert info.value.fields["field"] == "email"

    def test_refusal_stores_nothing(self, db):
        """A refused address leaves no sign-up, no user, no email and no audit event behind."""
        pf = create_portal(db)
        set_policy(db, pf, allowed_domains=["acme.com"])
        token = link_token(db, pf)
        before = count(db, AuditEvent)
        with pytest.raises(InvalidInput):
            sign_up(db, token, "eve@evil.example")
        assert count(db, LinkSignup) == 0
        assert count(db, Notification) == 0
        assert count(db, User, User.email == "eve@evil.example") == 0
        assert count(db, AuditEvent) == before

    def test_idn_allowed_domain(self, db):
        """A Unicode domain in the policy matches both spellings of the address."""
        pf = create_portal(db)
        view = set_policy(db, pf, allowed_domains=["Bücher.de"])
        assert view.link.allowed_domains == ["xn--bcher-kva.de"]
        token = link_token(db, pf)
        assert sign_up(db, token, "jo@BÜCHER.de").email == "jo@xn--bcher-kva.de"
        assert sign_up(db, token, "max@xn--bcher-kva.de").email == "max@xn--bcher-kva.de"

    def test_narrowed_after_signup(self, db):
        """The rule is checked again at confirmation: a narrowed policy refuses it then."""
        pf = create_portal(db)
        sign_up(db, link_token(db, pf), "ada@other.example")
        set_policy(db, pf, allowed_domains=["acme.com"])
        with pytest.raises(InvalidInput) as info:
            confirm(db, confirmation_token(db, "ada@other.example"))
        assert info.value.code == "domain_not_allowed"


class TestSignup:
    def test_pending_until_confirmed(self, db):
        """A sign-up makes no user and no member: only a pending sign-up and one email."""
        pf = create_portal(db)
        record = sign_up(db, link_token(db, pf), " Ada@Acme.com ", name="  Ada   Lovelace ")
        assert (record.email, record.name, record.status) == ("ada@acme.com", "Ada Lovelace", "pending")
        assert count(db, User, User.email == "ada@acme.com") == 0
        assert count(db, Notification, Notification.to_address == "ada@acme.com") == 1
        with db.unit_of_work() as session:
            roster = people_roster.roster(
                session, actor_for(session, pf.slug, pf.owner_email), status="pending"
            )
            assert [(p.kind, p.address) for p in roster.items] == [("signup", "ada@acme.com")]
            n = session.scalar(select(Notification).where(Notification.to_address == "ada@acme.com"))
            assert (
                n.template == "link_confirm"
                and "/confirm/" in sealed.opened(n.context, db.context.settings)["link"]
            )
        assert len(_audit(db, "invite_link.signup_requested")) == 1

    def test_the_confirmation_email_says_it_as_the_person_signing_up_would(self, db, worker):
        """The tester: "your account stays Pending" is User Management's word, not theirs."""
        pf = create_portal(db)
        sign_up(db, link_token(db, pf), "ada@acme.com", name="Ada")
        worker.drain()
        with db.unit_of_work() as session:
            sent = mailbox.messages(session, to="ada@acme.com")[0]
        for part in (sent.text, sent.html):
            assert "You join once you confirm." in part and "Pending" not in part

    def test_the_confirmation_email_does_not_repeat_the_name_typed(self, db, worker):
        """The security tester: anyone can sign anyone up, and the name they type was the email's
        greeting, sent under the portal's name ("Hello Acme security team. Your account will be
        closed today. Keep it at https://…,"). The email greets no one by a name not theirs."""
        pf = create_portal(db)
        bait = "Acme security team. Your account closes today. Keep it at https://acme-verify.example/login"
        sign_up(db, link_token(db, pf), "victim@acme.com", name=bait)
        worker.drain()
        with db.unit_of_work() as session:
            sent = mailbox.messages(session, to="victim@acme.com")[0]
        for part in (sent.text, sent.html):
            assert "acme-verify" not in part and "security team" not in part, part
            assert "Hello," in part

    def test_a_pending_sign_up_is_removed_by_the_links_managers(self, db, worker):
        """Remove (User Management): the confirmation link stops working and says why, the place
        on the link is freed, the roster and the link card no longer count it, it is audited;
        only the link's managers may, and only while it is pending."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com", role="member")
        set_policy(db, pf, max_uses=1)
        token = link_token(db, pf)
        record = sign_up(db, token, "ada@acme.com", name="Ada")
        confirm_token = confirmation_token(db, "ada@acme.com")
        with db.unit_of_work() as session, pytest.raises(PermissionDenied):
            signups.remove(session, actor_for(session, pf.slug, "mel@acme.com"), record.id)
        with pytest.raises(Gone):  # the one place is taken
            sign_up(db, token, "bob@acme.com")
        with db.unit_of_work() as session:
            removed = signups.remove(session, actor_for(session, pf.slug, pf.owner_email), record.id)
            assert removed.status == "removed"
        with pytest.raises(Gone) as refused:
            confirm(db, confirm_token)
        assert refused.value.code == "confirmation_removed"
        assert "removed by the portal's admins" in refused.value.message
        with db.unit_of_work() as session:
            actor = actor_for(session, pf.slug, pf.owner_email)
            assert people_roster.roster(session, actor, status="pending").total == 0
            assert links_service.open_portal_link(session, actor)[0].pending == 0
            with pytest.raises(NotFound):  # not pending any more: nothing to remove
                signups.remove(session, actor, record.id)
        sign_up(db, token, "bob@acme.com")  # the place is free again
        [event] = _audit(db, "invite_link.signup_removed")
        assert (event.target_label, event.actor_label) == ("ada@acme.com", pf.owner_email)

    def test_a_pending_sign_up_gets_a_new_confirmation_email(self, db, worker):
        """Resend confirmation: a new link good for another 24 hours, the earlier one dead (it
        says a newer email was sent); within the per-person limit; audited; a sign-up a Refresh
        left behind cannot be confirmed, so it is not resent."""
        pf = create_portal(db)
        record = sign_up(db, link_token(db, pf), "ada@acme.com", name="Ada")
        first = confirmation_token(db, "ada@acme.com")
        with clock.travel(timedelta(hours=20)):
            with db.unit_of_work() as session:
                resent = signups.resend(session, actor_for(session, pf.slug, pf.owner_email), record.id)
                assert resent.expires_at > clock.now() + timedelta(hours=23)
                resent_at = resent.sent_at
            assert resent_at > record.sent_at + timedelta(hours=19)
            with db.unit_of_work() as session:  # User Management's Last sent is the resend's
                [row] = people_roster.roster(
                    session, actor_for(session, pf.slug, pf.owner_email), status="pending"
                ).items
                assert (row.kind, row.last_sent_at) == ("signup", resent_at)
            second = confirmation_token(db, "ada@acme.com")
            assert second != first
            with pytest.raises(Gone) as refused:
                confirm(db, first)
            assert "newer confirmation email" in refused.value.message
        with clock.travel(timedelta(hours=30)):  # past the first link's day, within the second's
            assert confirm(db, second).outcome == "joined"
        assert len(_audit(db, "invite_link.signup_resent")) == 1
        left = sign_up(db, link_token(db, pf), "bob@acme.com")
        refresh(db, pf)
        with db.unit_of_work() as session, pytest.raises(NotFound):
            signups.resend(session, actor_for(session, pf.slug, pf.owner_email), left.id)

    def test_confirmation_makes_an_active_member(self, db):
        """Following the email: a user with the chosen password, an active member as the link says."""
        pf = create_portal(db)
        set_policy(db, pf, role="admin")
        sign_up(db, link_token(db, pf), "ada@acme.com", name="Ada")
        result = confirm(db, confirmation_token(db, "ada@acme.com"))
        assert result.outcome == "joined"
        assert (result.member.user_type, result.member.role, result.member.status) == (
            "internal",
            "admin",
            "active",
        )
        with db.unit_of_work() as session:
            from admit.auth import service as auth_service

            assert auth_service.login(session, email="ada@acme.com", password=PASSWORD).name == "Ada"
            assert session.scalar(select(LinkSignup.password_hash)) is None
        events = _audit(db, "invite_link.joined")
        assert len(events) == 1 and events[0].detail["outcome"] == "joined"
        with db.unit_of_work() as session:
            view = links_service.open_portal_link(session, actor_for(session, pf.slug, pf.owner_email))[0]
        assert (view.joined, view.uses, view.pending) == (1, 1, 0)

    def test_joining_through_the_link_gives_its_products(self, db):
        """The link's products, as they are at confirmation and still enabled in the portal:
        shown on the pending sign-up's row (and found by the product filter), then given."""
        pf = create_portal(db)
        view = set_policy(db, pf, products=["billing", "messaging", "billing"])
        assert view.link.products == ["messaging", "billing"]  # the portal's order, once each
        sign_up(db, link_token(db, pf), "ada@acme.com", name="Ada")
        with db.unit_of_work() as session:
            actor = actor_for(session, pf.slug, pf.owner_email)
            row = next(r for r in people_roster.roster(session, actor).items if r.address == "ada@acme.com")
            assert row.products == ["messaging", "billing"]
            found = people_roster.roster(session, actor, product="billing").items
            assert [r.address for r in found if r.kind == "signup"] == ["ada@acme.com"]
            others = people_roster.roster(session, actor, product="analytics").items
            assert not [r for r in others if r.kind == "signup"]
            portal = actor.portal
            portal.enabled_products = [p for p in portal.enabled_products if p != "billing"]
        result = confirm(db, confirmation_token(db, "ada@acme.com"))
        assert result.member.products == ["messaging"]  # billing was turned off in the portal since
        assert set_policy(db, pf, products=[]).link.products == []

    def test_confirmation_grants_what_the_link_grants_now(self, db):
        """The link's settings at confirmation decide, not those at sign-up: a link turned from
        internal admin to client after someone signed up makes them a client."""
        pf = create_portal(db)
        set_policy(db, pf, role="admin")
        sign_up(db, link_token(db, pf), "ada@acme.com", name="Ada")
        set_policy(db, pf, user_type="client")
        with db.unit_of_work() as session:  # what User Management shows for the sign-up, meanwhile
            roster = people_roster.roster(session, actor_for(session, pf.slug, pf.owner_email))
            assert [(p.kind, p.user_type, p.role) for p in roster.items if p.kind == "signup"] == [
                ("signup", "client", "client")
            ]
        result = confirm(db, confirmation_token(db, "ada@acme.com"), password=None)
        assert (result.member.user_type, result.member.role) == ("client", "client")
        assert (result.signup.user_type, result.signup.role) == ("client", "client")  # what it granted
        assert _audit(db, "invite_link.joined")[0].detail["role"] == "client"

    def test_a_link_expired_since_sign_up_is_not_confirmed(self, db):
        """A link that expired between sign-up and confirmation lets nobody in."""
        pf = create_portal(db)
        set_policy(db, pf, lifetime_seconds=3600)
        sign_up(db, link_token(db, pf), "ada@acme.com")
        with clock.travel(timedelta(hours=2)), pytest.raises(Gone) as info:
            confirm(db, confirmation_token(db, "ada@acme.com"))
        assert info.value.code == "link_gone"
        assert count(db, User, User.email == "ada@acme.com") == 0

    def test_confirmation_works_once(self, db):
        """The confirmation link is single use."""
        pf = create_portal(db)
        sign_up(db, link_token(db, pf), "ada@acme.com")
        token = confirmation_token(db, "ada@acme.com")
        confirm(db, token)
        with pytest.raises(Gone) as info:
            confirm(db, token)
        assert info.value.code == "confirmation_used"
        with pytest.raises(NotFound):
            confirm(db, "nonsense")
        # The used link is Ada's to know about (she joined), nobody else's.
        with db.unit_of_work() as session:
            ada = session.scalar(select(User).where(User.email == "ada@acme.com"))
            owner = session.scalar(select(User).where(User.email == pf.owner_email))
            assert signups_flow.already_joined(session, token, ada).slug == pf.slug
            assert signups_flow.already_joined(session, token, owner) is None
            assert signups_flow.already_joined(session, "nonsense", ada) is None

    def test_confirmation_expires(self, db):
        """An unconfirmed sign-up expires after a day, and frees its place."""
        pf = create_portal(db)
        set_policy(db, pf, max_uses=1)
        token = link_token(db, pf)
        sign_up(db, token, "ada@acme.com")
        _gone_message(db, token)  # the only place is taken
        with clock.travel(timedelta(hours=24, seconds=1)):
            with pytest.raises(Gone) as info:
                confirm(db, confirmation_token(db, "ada@acme.com"))
            assert info.value.code == "confirmation_expired"
            assert sign_up(db, token, "grace@acme.com").status == "pending"

    def test_the_links_counts_after_a_refresh_and_an_expiry(self, db):
        """The link's counts, read in one statement: places taken (confirmed sign-ups by any
        secret the link has had, and the current secret's unexpired pending ones), joined
        (confirmed by any secret), pending (the current secret's unexpired, unconfirmed ones)."""
        pf = create_portal(db)
        old = link_token(db, pf)
        confirm(db, _signed_up(db, old, "ada@acme.com"))  # joined on the old secret
        sign_up(db, old, "bob@acme.com")  # pending on the old secret: no place, no longer pending
        new = refresh(db, pf)
        with clock.travel(timedelta(hours=-25)):
            sign_up(db, new, "eve@acme.com")  # pending, but its day is over
        confirm(db, _signed_up(db, new, "cy@acme.com"))  # joined on the current secret
        sign_up(db, new, "dee@acme.com")  # pending on the current secret
        with db.unit_of_work() as session:
            actor = actor_for(session, pf.slug, pf.owner_email)
            view = links_service.open_portal_link(session, actor)[0]
            link = session.scalar(select(InviteLink).where(InviteLink.workspace_id.is_(None)))
            taken = links_service.places_taken(session, link, clock.now())
        assert (view.uses, view.joined, view.pending) == (3, 2, 1)
        assert taken == view.uses

    def test_a_refresh_does_not_give_back_the_places_of_those_who_joined(self, db):
        """The tester: max 2, two sign-ups ("Used up", 2 of 2), Refresh Link → "1 joined through
        this link · 0 of 2 places taken". Whoever joined keeps their place through a refresh (the
        limit is how many join through the link, whatever its URL); a sign-up still waiting to
        confirm frees its place (it can no longer confirm). Places taken are never fewer than
        joined."""
        pf = create_portal(db)
        set_policy(db, pf, max_uses=2)
        token = link_token(db, pf)
        confirm(db, _signed_up(db, token, "ada@acme.com"))
        sign_up(db, token, "bob@acme.com")
        with db.unit_of_work() as session:
            view = links_service.open_portal_link(session, actor_for(session, pf.slug, pf.owner_email))[0]
            assert (view.state, view.uses, view.joined) == ("used_up", 2, 1)
        new = refresh(db, pf)
        with db.unit_of_work() as session:
            view = links_service.open_portal_link(session, actor_for(session, pf.slug, pf.owner_email))[0]
            assert (view.state, view.uses, view.joined, view.pending) == ("active", 1, 1, 0)
        confirm(db, _signed_up(db, new, "cy@acme.com"))
        new = refresh(db, pf)
        with db.unit_of_work() as session:
            view = links_service.open_portal_link(session, actor_for(session, pf.slug, pf.owner_email))[0]
            assert (view.state, view.uses, view.joined) == ("used_up", 2, 2)
        _gone_message(db, new)  # a refresh does not open a used-up link again: raising the limit does

    def test_password_rules(self, db):
        """Internal joiners choose a password when confirming (never at sign-up); clients need none."""
        pf = create_portal(db)
        token = link_token(db, pf)
        record = sign_up(db, token, "ada@acme.com", password="attacker-chosen-pw")
        assert record.password_hash is None  # a sign-up never carries a password
        confirm_token = confirmation_token(db, "ada@acme.com")
        for password in (None, "short", "aaaaaaaaaaaa"):
            with pytest.raises(InvalidInput) as info:
                confirm(db, confirm_token, password=password)
            assert info.value.fields["field"] == "password"
        with pytest.raises(InvalidInput) as info:
            sign_up(db, token, "bea@acme.com", name=" ")
        assert info.value.fields["field"] == "name"
        set_policy(db, pf, user_type="client")
        record = sign_up(db, token, "carol@example.org", password=None)
        assert record.password_hash is None
        result = confirm(db, confirmation_token(db, "carol@example.org"), password=None)
        assert (result.member.user_type, result.member.role) == ("client", "client")
        assert result.user.password_hash is None

    def test_sign_up_cannot_plant_a_password(self, db, worker):
        """Someone signing up with another's address cannot choose that account's password."""
        pf = create_portal(db)
        set_policy(db, pf, user_type="client", allowed_domains=[])  # clients': any address
        sign_up(db, link_token(db, pf), "victim@example.org", password="attacker-chosen-pw")
        result = confirm(db, confirmation_token(db, "victim@example.org"), password=None)
        assert result.user.password_hash is None
        with db.unit_of_work() as session, pytest.raises(NotAuthenticated):
            auth_service.login(session, email="victim@example.org", password="attacker-chosen-pw")

    def test_signing_up_again_replaces_the_earlier_one(self, db):
        """Only the newest confirmation email works, and the person holds one place, not two."""
        pf = create_portal(db)
        set_policy(db, pf, max_uses=2)
        token = link_token(db, pf)
        sign_up(db, token, "ada@acme.com")
        first = confirmation_token(db, "ada@acme.com")
        sign_up(db, token, "ada@acme.com")
        sign_up(db, token, "grace@acme.com")  # the second place is still free
        with pytest.raises(Gone):
            sign_up(db, token, "alan@acme.com")
        with pytest.raises(Gone) as info:
            confirm(db, first)
        assert info.value.code == "confirmation_replaced"
        assert confirm(db, confirmation_token(db, "ada@acme.com")).outcome == "joined"

    def test_signing_up_again_within_the_minute_gets_its_email_a_minute_later(self, db, worker, rate_limits):
        """Within the per-person limit's minute the second sign-up still replaces the first:
        its email is written to go once the address may have another (it had been dropped,
        leaving no link that works), and its link joins."""
        pf = create_portal(db)
        token = link_token(db, pf)
        first = sign_up(db, token, "ada@acme.com", name="Ada")
        first_link = confirmation_token(db, "ada@acme.com")
        worker.drain()
        again = sign_up(db, token, "ada@acme.com", name="Ada L.", ip="10.0.0.2")
        second_link = confirmation_token(db, "ada@acme.com")
        assert again.id != first.id
        with pytest.raises(Gone) as info:
            confirm(db, first_link)
        assert info.value.code == "confirmation_replaced"
        assert worker.drain()["sent"] == 0  # its turn has not come
        with clock.travel(timedelta(seconds=61)):
            assert worker.drain()["sent"] == 1
            assert confirm(db, second_link).outcome == "joined"

    def test_a_sign_up_no_email_may_go_to_writes_nothing_and_is_answered_as_any(self, db, rate_limits):
        """An address the portal no longer writes to (it bounced) is answered as any other
        sign-up, so the answer tells nothing of the address; nothing is written, so it takes no
        place (it had held a place for a day with no email). A full link still says so."""
        pf = create_portal(db)
        set_policy(db, pf, max_uses=1)
        token = link_token(db, pf)
        with db.unit_of_work() as session:
            bounces.suppress(
                session,
                portal_id=pf.portal_id,
                address="ada@acme.com",
                kind="bounce",
                detail="550",
                source="smtp",
            )
        answer = sign_up(db, token, "ada@acme.com")
        assert answer.email == "ada@acme.com" and answer.id is None  # the same answer, not stored
        assert count(db, LinkSignup) == 0
        sign_up(db, token, "grace@acme.com")  # the one place is free
        with pytest.raises(Gone) as info:  # a full link answers as it does to anyone
            sign_up(db, token, "ada@acme.com")
        assert info.value.code == "link_gone"

    def test_max_uses(self, db):
        """With max_uses = 2 the third sign-up is refused and nothing is written for it."""
        pf = create_portal(db)
        set_policy(db, pf, max_uses=2)
        token = link_token(db, pf)
        sign_up(db, token, "a@acme.com")
        sign_up(db, token, "b@acme.com")
        with pytest.raises(Gone) as info:
            sign_up(db, token, "c@acme.com")
        assert info.value.code == "link_gone"
        assert count(db, LinkSignup) == 2

    def test_existing_member_is_signed_in_not_duplicated(self, db, worker):
        """A member signing up gets the same answer; confirming, signed in, changes nothing
        (password unchanged, one membership)."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com", role="member")
        record = sign_up(db, link_token(db, pf), "mel@acme.com", password="another-password-99")
        assert record.status == "pending"
        result = confirm(db, confirmation_token(db, "mel@acme.com"), signed_in_as="mel@acme.com")
        assert result.outcome == "already_member"
        assert result.member.role == "member"
        assert count(db, Member, Member.user_id == result.user.id) == 1
        with db.unit_of_work() as session:
            from admit.auth import service as auth_service

            auth_service.login(session, email="mel@acme.com", password=PASSWORD)

    def test_an_account_with_a_password_confirms_only_signed_in(self, db, worker):
        """Anyone may sign up through an open link with the owner's address: the email it sends
        lets nobody in without the password. Confirming, not signed in (or signed in as someone
        else), is refused with ``sign_in_required``, the link left unused and no session made;
        the preview says so; signed in as the address's account, it works. The same for an
        account with a password that is not a member of this portal (one of another portal)."""
        pf = create_portal(db)
        set_policy(db, pf, allowed_domains=[])
        token = link_token(db, pf)
        member_joins(db, worker, pf, "mel@acme.com", role="member")
        sign_up(db, token, pf.owner_email, name="Mallory")
        owners = confirmation_token(db, pf.owner_email)
        for someone in (None, "mel@acme.com"):
            with pytest.raises(SignInRequired) as info:
                confirm(db, owners, signed_in_as=someone)
            assert info.value.code == "sign_in_required"
            assert str(info.value) == f"An account already exists for {pf.owner_email}. Sign in to confirm."
        with db.unit_of_work() as session:
            shown = signups_flow.confirmation(session, owners)
            assert (shown.already_member, shown.sign_in_required) == (True, True)
            owner = members_service.get_user_by_email(session, pf.owner_email)
            assert signups_flow.confirmation(session, owners, viewer=owner).sign_in_required is False
            assert (
                session.scalar(select(LinkSignup.status).where(LinkSignup.email == pf.owner_email))
                == "pending"
            )
        assert confirm(db, owners, signed_in_as=pf.owner_email).outcome == "already_member"

        other = create_portal(db, name="Beta Co", owner_email="bea@beta.co")
        sign_up(db, token, "bea@beta.co", name="Not Bea")
        beas = confirmation_token(db, "bea@beta.co")
        with pytest.raises(SignInRequired):
            confirm(db, beas)
        assert count(db, Member, Member.portal_id == pf.portal_id) == 2  # the owner and Mel
        assert other.portal_id != pf.portal_id
        assert confirm(db, beas, signed_in_as="bea@beta.co").outcome == "joined"

    def test_a_sign_up_never_names_an_existing_account(self, db, worker):
        """Anyone may sign up with a member's address and type a name: confirming (by the
        address's owner) leaves the account's name as it was, none included. The email tells
        the member the link asks for their password (they have one), without the typed name."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com", role="member")
        with db.unit_of_work() as session:
            session.scalar(select(User).where(User.email == "mel@acme.com")).name = ""
        sign_up(db, link_token(db, pf), "mel@acme.com", name="Mallory Renames")
        with db.unit_of_work() as session:
            email = session.scalar(
                select(Notification)
                .where(Notification.template == "link_confirm", Notification.to_address == "mel@acme.com")
                .order_by(Notification.created_at.desc())
                .limit(1)
            )
            assert email.context["already_member"] is True
        result = confirm(db, confirmation_token(db, "mel@acme.com"), signed_in_as="mel@acme.com")
        assert result.outcome == "already_member"
        with db.unit_of_work() as session:
            assert session.scalar(select(User.name).where(User.email == "mel@acme.com")) == ""
        worker.drain()
        with db.unit_of_work() as session:
            sent = next(m for m in mailbox.messages(session, to="mel@acme.com") if "invite link" in m.text)
            assert sent.subject == "Sign in to Acme Inc" and "signs you in" not in sent.text
            assert "this link asks for your password, as signing in does" in sent.text  # Mel has one
            # The portal's name ends its clause ("Acme Inc.", never "Acme Inc. already").
            assert "You are already a member of Acme Inc, so this link asks" in sent.text
            assert "Mallory" not in sent.text + sent.html and "stays Pending" not in sent.text

    def test_a_client_without_a_password_signing_up_through_an_internal_link_stays_as_they_are(
        self, db, worker
    ):
        """An active client (joined by magic link, no password) who signs up through a link for
        internal members is asked for no password at confirmation, and one given is not set:
        confirming signs them in as the client they are."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "carl@client.org", user_type="client", password=None)
        sign_up(db, link_token(db, pf), "carl@client.org", name="Carl Again")
        token = confirmation_token(db, "carl@client.org")
        with db.unit_of_work() as session:
            shown = signups_flow.confirmation(session, token)
            assert (shown.already_member, shown.password_required) == (True, False)
        result = confirm(db, token, password="chosen-password-99")
        assert (result.outcome, result.member.user_type, result.member.role) == (
            "already_member",
            "client",
            "client",
        )
        with db.unit_of_work() as session:
            assert session.scalar(select(User.password_hash).where(User.email == "carl@client.org")) is None

    def test_a_deactivated_member_is_told_their_access_was_ended(self, db, worker):
        """The link does not undo a deactivation: confirming says what happened and the ways back,
        in the words the portal's pages and API use (``members.service.access_ended``)."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com", role="member")
        with db.unit_of_work() as session:
            member_id = session.scalar(
                select(Member.id).join(User, User.id == Member.user_id).where(User.email == "mel@acme.com")
            )
            members_flow.deactivate(session, actor_for(session, pf.slug, pf.owner_email), member_id)
        sign_up(db, link_token(db, pf), "mel@acme.com")
        with pytest.raises(MemberDeactivated) as info:  # signed in (her password), as she must be
            confirm(db, confirmation_token(db, "mel@acme.com"), signed_in_as="mel@acme.com")
        assert str(info.value) == (
            "An administrator ended your access to Acme Inc. Ask one of its owners or admins to "
            "reactivate you."
        )
        with db.unit_of_work() as session:
            assert session.get(Member, member_id).status == "deactivated"

    def test_pending_invitation_is_completed_not_doubled(self, db, worker):
        """Signing up with a pending personal invitation completes that invitation (its role wins)."""
        pf = create_portal(db)
        invite(db, pf, ["ada@acme.com"], role="admin")
        worker.drain()
        invitation_token = last_link(db, "ada@acme.com")
        sign_up(db, link_token(db, pf), "ada@acme.com")
        result = confirm(db, confirmation_token(db, "ada@acme.com"))
        assert result.outcome == "invitation_completed"
        assert result.member.role == "admin"
        assert count(db, Invitation) == 1
        with db.unit_of_work() as session:
            inv = session.scalar(select(Invitation))
            assert (inv.status, inv.member_id) == ("accepted", result.member.id)
        with pytest.raises(Gone), db.unit_of_work() as session:
            join.accept(session, token=invitation_token, password=PASSWORD)

    def test_an_invitation_its_inviter_can_no_longer_grant_is_not_completed(self, db, worker):
        """Confirming a sign-up is an accept too: an admin's pending invitation, the admin since
        deactivated, is not completed (410 invitation_not_grantable), and nobody joins."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "xavier@acme.com", role="admin")
        invite(db, pf, ["ada@acme.com"], role="admin", by="xavier@acme.com")
        with db.unit_of_work() as session:
            member = session.scalar(
                select(Member).join(User, Member.user_id == User.id).where(User.email == "xavier@acme.com")
            )
            members_flow.deactivate(session, actor_for(session, pf.slug, pf.owner_email), member.id)
        sign_up(db, link_token(db, pf), "ada@acme.com")
        with pytest.raises(Gone) as info:
            confirm(db, confirmation_token(db, "ada@acme.com"))
        assert info.value.code == "invitation_not_grantable"
        assert count(db, Member, Member.role == "admin") == 1  # Xavier's, deactivated

    def test_deactivated_member_stays_out(self, db, worker):
        """A link does not undo a deactivation."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")

        with db.unit_of_work() as session:
            owner = actor_for(session, pf.slug, pf.owner_email)
            member = session.scalar(
                select(Member).join(User, Member.user_id == User.id).where(User.email == "mel@acme.com")
            )
            members_flow.deactivate(session, owner, member.id)
        sign_up(db, link_token(db, pf), "mel@acme.com")
        with pytest.raises(PermissionDenied) as info:
            confirm(db, confirmation_token(db, "mel@acme.com"), signed_in_as="mel@acme.com")
        assert info.value.code == "member_deactivated"

    def test_workspace_link_is_not_for_signing_up(self, db):
        """Each kind of link does its own thing."""
        pf = create_portal(db)
        ws = create_workspace(db, pf)
        with pytest.raises(Conflict):
            sign_up(db, workspace_token(db, pf, ws.id), "ada@acme.com")
        with pytest.raises(Conflict):
            ask_to_join(db, link_token(db, pf), "ada@acme.com")


class TestRateLimits:
    def test_per_client_address_and_per_link(self, db, change_settings, rate_limits):
        """A leaked link cannot be used to mail-bomb: limits per IP, per link and per address."""
        change_settings(
            link_ip_rate_limit="3/hour", link_rate_limit="5/hour", link_address_rate_limit="2/hour"
        )
        pf = create_portal(db)
        token = link_token(db, pf)
        for i in range(3):
            sign_up(db, token, f"u{i}@acme.com", ip="10.0.0.9")
        with pytest.raises(RateLimited):
            sign_up(db, token, "u9@acme.com", ip="10.0.0.9")
        # The link's 5/hour: the refused attempt above stopped at the IP limit, so 3 so far.
        sign_up(db, token, "v1@acme.com", ip="10.0.0.10")
        sign_up(db, token, "v2@acme.com", ip="10.0.0.11")
        with pytest.raises(RateLimited):
            sign_up(db, token, "v3@acme.com", ip="10.0.0.12")
        rate_limits.reset()
        sign_up(db, token, "x@acme.com", ip="10.0.1.1")
        sign_up(db, token, "x@acme.com", ip="10.0.1.2")
        with pytest.raises(RateLimited):
            sign_up(db, token, "x@acme.com", ip="10.0.1.3")


class TestJoinRequests:
    def test_request_and_list(self, db, worker):
        """Opening a workspace link creates a join request; asking twice changes nothing."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")
        ws = create_workspace(db, pf, by="mel@acme.com")
        token = workspace_token(db, pf, ws.id, by="mel@acme.com")
        first = ask_to_join(db, token, "Rita@Example.org")
        again = ask_to_join(db, token, "rita@example.org", note="again")
        assert first.id == again.id and first.email == "rita@example.org"
        assert count(db, JoinRequest) == 1
        with db.unit_of_work() as session:
            rows, _ = join_requests.list_join_requests(session, actor_for(session, pf.slug, "mel@acme.com"))
            assert [(r.email, r.name, r.note) for r in rows] == [
                ("rita@example.org", "Rita Requester", "From the audit team")
            ]

    def test_the_workspaces_internal_users_are_told_once(self, db, worker):
        """A new join request emails the workspace's internal users (not its clients, not other
        internal users); asking again while it is pending sends nothing more."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")
        member_joins(db, worker, pf, "otto@acme.com")
        member_joins(db, worker, pf, "cli@example.org", user_type="client")
        ws = create_workspace(db, pf, by="mel@acme.com")
        token = workspace_token(db, pf, ws.id, by="mel@acme.com")
        ask_to_join(db, token, "rita@example.org", note="From <b>audit</b>")
        ask_to_join(db, token, "rita@example.org")
        worker.drain()
        with db.unit_of_work() as session:
            told = [
                (m.to_address, m.subject)
                for m in mailbox.messages(session, limit=50)
                if "asks to join" in m.subject
            ]
            html = [m.html for m in mailbox.messages(session, to="mel@acme.com", limit=1)]
        assert told == [("mel@acme.com", "Rita Requester asks to join “Q3 Audit”")]
        assert "From &lt;b&gt;audit&lt;/b&gt;" in html[0]

    def test_only_internal_users_of_the_workspace_see_requests(self, db, worker):
        """A member who is not in the workspace neither sees nor answers its requests (404)."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")
        member_joins(db, worker, pf, "otto@acme.com")
        member_joins(db, worker, pf, "cli@example.org", user_type="client")
        ws = create_workspace(db, pf, by="mel@acme.com")
        request = ask_to_join(db, workspace_token(db, pf, ws.id), "rita@example.org")
        with db.unit_of_work() as session:
            otto = actor_for(session, pf.slug, "otto@acme.com")
            assert join_requests.list_join_requests(session, otto)[0] == []
            with pytest.raises(NotFound):
                join_requests_flow.approve(session, otto, request.id, user_type="client")
            with pytest.raises(NotFound):
                workspace_links.show(session, otto, ws.id)
            client = actor_for(session, pf.slug, "cli@example.org")
            with pytest.raises(PermissionDenied):
                join_requests.list_join_requests(session, client)
            owner = actor_for(session, pf.slug, pf.owner_email)
            assert len(join_requests.list_join_requests(session, owner)[0]) == 1

    def test_member_approves_as_client(self, db, worker):
        """An internal member approves as a client: a client invitation, Not Joined until accepted."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")
        ws = create_workspace(db, pf, by="mel@acme.com")
        request = ask_to_join(db, workspace_token(db, pf, ws.id, by="mel@acme.com"), "rita@example.org")
        with db.unit_of_work() as session:
            mel = actor_for(session, pf.slug, "mel@acme.com")
            with pytest.raises(PermissionDenied) as info:
                join_requests_flow.approve(session, mel, request.id, user_type="internal")
            assert "client" in info.value.message
        with db.unit_of_work() as session:
            approved = join_requests_flow.approve(
                session, actor_for(session, pf.slug, "mel@acme.com"), request.id, user_type="client"
            )
            assert (approved.status, approved.outcome, approved.user_type) == (
                "approved",
                "invited",
                "client",
            )
        with db.unit_of_work() as session:
            inv = session.scalar(select(Invitation).where(Invitation.recipient == "rita@example.org"))
            assert (inv.user_type, inv.recipient_name) == ("client", "Rita Requester")
            assert (inv.asked, inv.message) == (True, "")  # every email of it says the request was approved
            wm = session.scalar(
                select(WorkspaceMember)
                .join(User, WorkspaceMember.user_id == User.id)
                .where(User.email == "rita@example.org")
            )
            assert wm.status == "not_joined"
        worker.drain()
        with db.unit_of_work() as session:
            [mail] = mailbox.messages(session, to="rita@example.org", limit=1)
        assert mail.subject == "Your request to join “Q3 Audit” in Acme Inc was approved"
        assert "Your request to join the workspace “Q3 Audit” in Acme Inc was approved:" in mail.text
        assert "Message from" not in mail.text and "If you did not expect" not in mail.text
        with db.unit_of_work() as session:
            join.accept(session, token=last_link(db, "rita@example.org"))
        with db.unit_of_work() as session:
            wm = session.scalar(
                select(WorkspaceMember)
                .join(User, WorkspaceMember.user_id == User.id)
                .where(User.email == "rita@example.org")
            )
            assert wm.status == "joined"
        events = _audit(db, "join_request.approved")
        assert len(events) == 1 and events[0].detail["outcome"] == "invited"

    def test_resends_and_reminders_say_the_request_was_approved(self, db, worker):
        """The tester: a Resend of an approved request's invitation read "Olive Owner invited
        you … Message from Olive Owner: You asked to join the workspace …", the system's words
        given as the owner's. The invitation knows it was asked for (``asked``): its resend and
        its reminders say the request was approved, with no "Message from"; its page too."""
        from datetime import timedelta

        from admit.flows import invitations as invitations_flow

        pf = create_portal(db)
        self._approved_for(db, worker, pf, "rita@example.org", name="Rita Requester")
        with db.unit_of_work() as session:
            inv = session.scalar(select(Invitation).where(Invitation.recipient == "rita@example.org"))
            assert (inv.asked, inv.message) == (True, "")
        with clock.travel(timedelta(minutes=2)):
            with db.unit_of_work() as session:
                invitations_flow.resend(session, actor_for(session, pf.slug, pf.owner_email), inv.id)
            worker.drain()
        with clock.travel(timedelta(days=3)):
            assert worker.run_scheduled()["reminded"] == 1
            worker.drain()
        with db.unit_of_work() as session:
            mails = list(reversed(mailbox.messages(session, to="rita@example.org", limit=5)))
        assert len(mails) == 3, [m.subject for m in mails]
        for mail in mails:
            assert "Message from" not in mail.text and "You asked to join" not in mail.text, mail.text
            assert "request to join the workspace “Q3 Audit” in Acme Inc was approved" in mail.text, mail.text
            assert "Message from" not in mail.html and "You asked to join" not in mail.html, mail.html
        assert mails[2].subject == "Reminder: your request to join “Q3 Audit” in Acme Inc was approved"

    def test_an_approved_requests_invitation_page_says_so(self, db, worker, client):
        pf = create_portal(db)
        page = client.get(
            f"/invite/{self._approved_for(db, worker, pf, 'rita@example.org', name='Rita Requester')}"
        )
        assert page.status_code == 200, page.text
        assert "Your request was approved: <strong>" in page.text, page.text

    def _approved_for(self, db, worker, pf, email, *, name):
        """Someone asks to join for ``email`` under ``name``; the owner approves as a client."""
        ws = create_workspace(db, pf)
        request = ask_to_join(db, workspace_token(db, pf, ws.id), email, name=name)
        with db.unit_of_work() as session:
            owner = actor_for(session, pf.slug, pf.owner_email)
            join_requests_flow.approve(session, owner, request.id, user_type="client")
        worker.drain()
        return last_link(db, email)

    def test_a_requesters_name_is_not_planted_on_the_account(self, db, worker):
        """The name a join requester gave is the request's and the invitation's label, never the
        account's: the person accepting without a name keeps an account with none (shown by its
        address), and the invitation still carries the label."""
        pf = create_portal(db)
        token = self._approved_for(db, worker, pf, "vic@example.org", name="Planted Name")
        with db.unit_of_work() as session:
            assert session.scalar(select(User.name).where(User.email == "vic@example.org")) == ""
            join.accept(session, token=token)
        with db.unit_of_work() as session:
            user = session.scalar(select(User).where(User.email == "vic@example.org"))
            assert (user.name, user.label) == ("", "vic@example.org")
            assert session.scalar(select(Invitation.recipient_name)) == "Planted Name"

    def test_the_persons_own_name_wins(self, db, worker):
        """Whoever accepts and gives their own name has it, over any name the account was given
        before by someone else."""
        from admit.members import service as members_service

        pf = create_portal(db)
        with db.unit_of_work() as session:  # an account someone else named (no password: never claimed)
            members_service.add_user(session, "vic@example.org", name="Planted Name")
        token = self._approved_for(db, worker, pf, "vic@example.org", name="Planted Name")
        with db.unit_of_work() as session:
            join.accept(session, token=token, name="  Vera Victim ")
        with db.unit_of_work() as session:
            assert session.scalar(select(User.name).where(User.email == "vic@example.org")) == "Vera Victim"

    def test_admin_approves_as_internal(self, db):
        """An owner or admin may let the person in as an internal user, with a role."""
        pf = create_portal(db)
        ws = create_workspace(db, pf)
        request = ask_to_join(db, workspace_token(db, pf, ws.id), "ivan@acme.com")
        with db.unit_of_work() as session:
            owner = actor_for(session, pf.slug, pf.owner_email)
            join_requests_flow.approve(session, owner, request.id, user_type="internal", role="admin")
        with db.unit_of_work() as session:
            inv = session.scalar(select(Invitation).where(Invitation.recipient == "ivan@acme.com"))
            assert (inv.user_type, inv.role) == ("internal", "admin")

    def test_existing_member_joins_the_workspace_without_a_new_invitation(self, db, worker):
        """Someone already in the portal is added to the workspace at once and told by email."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "cli@example.org", user_type="client")
        ws = create_workspace(db, pf)
        request = ask_to_join(db, workspace_token(db, pf, ws.id), "cli@example.org")
        invitations_before = count(db, Invitation)
        with db.unit_of_work() as session:
            owner = actor_for(session, pf.slug, pf.owner_email)
            approved = join_requests_flow.approve(session, owner, request.id, user_type="internal")
            assert (approved.outcome, approved.user_type) == ("added_to_workspace", "client")
        assert count(db, Invitation) == invitations_before
        with db.unit_of_work() as session:
            wm = session.scalar(
                select(WorkspaceMember)
                .join(User, WorkspaceMember.user_id == User.id)
                .where(User.email == "cli@example.org")
            )
            assert wm.status == "joined"
            member = session.scalar(
                select(Member).join(User, Member.user_id == User.id).where(User.email == "cli@example.org")
            )
            assert member.user_type == "client"  # the membership is unchanged
            n = session.scalar(select(Notification).where(Notification.template == "join_request_approved"))
            assert n.to_address == "cli@example.org"

    def test_someone_in_the_workspace_already_is_told_nothing_of_their_own_request(self, db, worker):
        """Mel, in the workspace already, asks to join it through its link: the others in it are
        told, Mel is not; approving says Mel was in it already, not that Mel was added."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")
        member_joins(db, worker, pf, "otto@acme.com")
        ws = create_workspace(db, pf, by="mel@acme.com")
        with db.unit_of_work() as session:
            mel = actor_for(session, pf.slug, "mel@acme.com")
            otto = session.scalar(select(User).where(User.email == "otto@acme.com"))
            workspaces_service.add_member(session, mel, session.get(Workspace, ws.id), otto, joined=True)
        request = ask_to_join(db, workspace_token(db, pf, ws.id, by="mel@acme.com"), "mel@acme.com")
        worker.drain()
        with db.unit_of_work() as session:
            told = sorted(
                m.to_address for m in mailbox.messages(session, limit=50) if "asks to join" in m.subject
            )
        assert told == ["otto@acme.com"]
        with db.unit_of_work() as session:
            owner = actor_for(session, pf.slug, pf.owner_email)
            approved = join_requests_flow.approve(session, owner, request.id, user_type="internal")
            assert approved.outcome == "already_in_workspace"

    def test_pending_invitation_stands(self, db):
        """Approving someone already invited keeps their invitation (no second one)."""
        pf = create_portal(db)
        invite(db, pf, ["rita@example.org"], user_type="client")
        ws = create_workspace(db, pf)
        request = ask_to_join(db, workspace_token(db, pf, ws.id), "rita@example.org")
        with db.unit_of_work() as session:
            owner = actor_for(session, pf.slug, pf.owner_email)
            assert join_requests_flow.approve(session, owner, request.id, user_type="client").outcome == (
                "invitation_pending"
            )
        assert count(db, Invitation) == 1

    BAIT = "your Acme Tax account is locked - call +1 202 555 0199 now"

    @pytest.mark.parametrize("answer", ["invited", "added", "declined", "deleted"])
    def test_the_answers_email_greets_no_one_by_the_name_typed(self, db, worker, answer):
        """The tester: anyone can ask to join in anyone's name, and the name typed was the
        greeting of the answer sent under the portal's name ("Hello your Acme Tax account is
        locked - call …,"). Declined, approved (added or invited), or the workspace deleted
        while it waited: "Hello,", as a link sign-up's confirmation
        (``notifications.service.greeting_name``)."""
        pf = create_portal(db)
        if answer == "added":
            member_joins(db, worker, pf, "victim@victim.io", user_type="client")
        ws = create_workspace(db, pf)
        request = ask_to_join(db, workspace_token(db, pf, ws.id), "victim@victim.io", name=self.BAIT)
        worker.drain()
        with db.unit_of_work() as session:
            owner = actor_for(session, pf.slug, pf.owner_email)
            if answer == "declined":
                join_requests.decline(session, owner, request.id)
            elif answer == "deleted":
                workspaces_service.delete_workspace(session, owner, ws.id)
            else:
                join_requests_flow.approve(session, owner, request.id, user_type="client")
        worker.drain()
        with db.unit_of_work() as session:
            sent = mailbox.messages(session, to="victim@victim.io", limit=1)[0]
        for part in (sent.text, sent.html):
            assert "202 555" not in part and "locked" not in part, part
            assert "Hello," in part, part

    def test_decline_politely(self, db):
        """Decline: the person gets a polite email; a decided request cannot be decided again."""
        pf = create_portal(db)
        ws = create_workspace(db, pf)
        request = ask_to_join(db, workspace_token(db, pf, ws.id), "rita@example.org")
        with db.unit_of_work() as session:
            join_requests.decline(session, actor_for(session, pf.slug, pf.owner_email), request.id)
        with db.unit_of_work() as session:
            n = session.scalar(select(Notification).where(Notification.template == "join_request_declined"))
            assert n.to_address == "rita@example.org"
            owner = actor_for(session, pf.slug, pf.owner_email)
            with pytest.raises(Conflict) as info:
                join_requests_flow.approve(session, owner, request.id, user_type="client")
            assert info.value.code == "join_request_not_pending"
        assert count(db, Invitation) == 0
        assert len(_audit(db, "join_request.declined")) == 1

    @pytest.mark.parametrize("answer", ["approve", "decline"])
    def test_an_answered_request_stops_the_approvers_emails_not_yet_gone(self, db, worker, answer):
        """The tester: the owner declined Zoe's request; four seconds later another approver got
        "Zoe asks to join" with Review the request (held back by the per-person minute). An
        answer stops the approvers' emails still waiting; one already delivered stays so."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "ada@acme.com", role="admin")
        ws = create_workspace(db, pf)
        first = ask_to_join(db, workspace_token(db, pf, ws.id), "kim@example.org", name="Kim")
        worker.drain()  # the approvers are told of Kim's request
        request = ask_to_join(db, workspace_token(db, pf, ws.id), "zoe@example.org", name="Zoe")
        with db.unit_of_work() as session:
            owner = actor_for(session, pf.slug, pf.owner_email)
            if answer == "approve":
                join_requests_flow.approve(session, owner, request.id, user_type="client")
            else:
                join_requests.decline(session, owner, request.id)
        with db.unit_of_work() as session:
            asked = session.execute(
                select(Notification.event_key, Notification.status).where(
                    Notification.template == "join_request_new"
                )
            ).all()
        zoes = {status for key, status in asked if key.startswith(f"join_request:{request.id}:")}
        kims = {status for key, status in asked if key.startswith(f"join_request:{first.id}:")}
        assert zoes == {"cancelled"} and kims == {"sent"}, asked

    def test_workspace_link_refresh(self, db):
        """A workspace link refreshes like the portal's: the old one is gone at once."""
        pf = create_portal(db)
        ws = create_workspace(db, pf)
        old = workspace_token(db, pf, ws.id)
        with db.unit_of_work() as session:
            view = workspace_links.refresh(session, actor_for(session, pf.slug, pf.owner_email), ws.id)
        new = view.url.rsplit("/join/", 1)[1]
        with pytest.raises(Gone):
            ask_to_join(db, old, "rita@example.org")
        assert ask_to_join(db, new, "rita@example.org").status == "pending"
        assert _preview(db, new).workspace_name == "Q3 Audit"


class TestWorkspaceLinkSettings:
    """The tester: a workspace link could not be turned off, expire or be limited. It is the same
    link as the portal's (``InviteLink``): the same settings, through ``links.service``."""

    def _set(self, db, pf, ws_id, **changes):
        with db.unit_of_work() as session:
            actor = actor_for(session, pf.slug, pf.owner_email)
            return workspace_links.update(session, actor, ws_id, **changes)

    def test_off_expiry_domains_and_uses(self, db):
        """Off: gone; on again it works; a domain rule refuses others; an expiry ends it; with
        one place, a pending request takes it (declining gives it back, a refresh does not)."""
        pf = create_portal(db)
        ws = create_workspace(db, pf)
        token = workspace_token(db, pf, ws.id)
        view = self._set(db, pf, ws.id, enabled=False)
        assert view.state == "disabled"
        with pytest.raises(Gone):
            ask_to_join(db, token, "rita@example.org")
        view = self._set(db, pf, ws.id, enabled=True, allowed_domains=["example.org"], max_uses=1)
        assert (view.state, view.link.allowed_domains, view.link.max_uses) == ("active", ["example.org"], 1)
        with pytest.raises(InvalidInput):
            ask_to_join(db, token, "sam@other.net")
        first = ask_to_join(db, token, "rita@example.org")
        with db.unit_of_work() as session:
            view = workspace_links.show(session, actor_for(session, pf.slug, pf.owner_email), ws.id)
            assert (view.state, view.uses, view.pending) == ("used_up", 1, 1)
        with pytest.raises(Gone):
            ask_to_join(db, token, "sam@example.org")
        with db.unit_of_work() as session:
            join_requests.decline(session, actor_for(session, pf.slug, pf.owner_email), first.id)
        ask_to_join(db, token, "sam@example.org")  # the declined request's place is free again
        view = self._set(db, pf, ws.id, max_uses=None, lifetime_seconds=3600)
        assert view.state == "active" and view.link.expires_at is not None
        with clock.travel(timedelta(hours=1, seconds=1)), pytest.raises(Gone):
            ask_to_join(db, token, "tom@example.org")
        assert len(_audit(db, "invite_link.policy_changed")) == 3
