"""Helpers for the invite-link tests: manage the link as the owner, sign up, read the emails."""

from __future__ import annotations

from sqlalchemy import func, select

from admit.flows import join_requests as join_requests_flow
from admit.flows import signups as signups_flow
from admit.flows import workspace_links
from admit.links import service as links_service
from admit.links import signups
from admit.links.models import InviteLink
from admit.members import service as members_service
from admit.notifications import sealed
from admit.notifications.models import Notification
from admit.workspaces import service as workspaces_service
from tests.factories import PASSWORD, PortalFixture, actor_for, token_in


def count(db, model, *where) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def link_token(db, pf: PortalFixture, *, by: str | None = None) -> str:
    """The portal link's token, as Copy Link gives it, the link turned on first if it is off (a
    new link starts off: ``TestPortalLink.test_a_new_link_starts_off``). A link made here takes
    any address (the tests sign up from many domains; a new link's own, the company's, is
    ``test_a_new_link_is_for_the_company_domain_of_whoever_made_it``); one a test made keeps its
    domains."""
    made_here = not count(
        db, InviteLink, InviteLink.portal_id == pf.portal_id, InviteLink.workspace_id.is_(None)
    )
    with db.unit_of_work() as session:
        actor = actor_for(session, pf.slug, by or pf.owner_email)
        view = links_service.open_portal_link(session, actor)[0]
        if not view.link.enabled:
            domains = {"allowed_domains": []} if made_here else {}
            view = links_service.update_portal_link(session, actor, enabled=True, **domains)
        return view.url.rsplit("/join/", 1)[1]


def refresh(db, pf: PortalFixture) -> str:
    with db.unit_of_work() as session:
        view = links_service.refresh_portal_link(session, actor_for(session, pf.slug, pf.owner_email))
        return view.url.rsplit("/join/", 1)[1]


def set_policy(db, pf: PortalFixture, **changes):
    with db.unit_of_work() as session:
        return links_service.update_portal_link(
            session, actor_for(session, pf.slug, pf.owner_email), **changes
        )


def sign_up(
    db, token: str, email: str, *, name: str = "Sam Signup", password: str | None = PASSWORD, ip="10.0.0.1"
):
    with db.unit_of_work() as session:
        return signups.signup(session, token=token, email=email, name=name, password=password, ip=ip)


def confirmation_token(db, email: str) -> str:
    """The token in the newest confirmation email queued for ``email`` (read before delivery)."""
    with db.unit_of_work() as session:
        row = session.scalar(
            select(Notification)
            .where(Notification.template == "link_confirm", Notification.to_address == email)
            .order_by(Notification.created_at.desc())
            .limit(1)
        )
        assert row is not None, f"no confirmation email to {email}"
        return token_in(sealed.opened(row.context, db.context.settings)["link"], "confirm")


def confirm(db, token: str, *, password: str | None = PASSWORD, signed_in_as: str | None = None):
    """Confirm with ``token``; ``signed_in_as``: the address of the account signed in (an
    account with a password confirms only signed in)."""
    with db.unit_of_work() as session:
        current = members_service.get_user_by_email(session, signed_in_as) if signed_in_as else None
        return signups_flow.confirm(
            session, token=token, password=password, current_user=current, ip="10.0.0.1"
        )


def create_workspace(db, pf: PortalFixture, name: str = "Q3 Audit", *, by: str | None = None, kind="flow"):
    with db.unit_of_work() as session:
        return workspaces_service.create(
            session, actor_for(session, pf.slug, by or pf.owner_email), name=name, kind=kind
        )


def workspace_token(db, pf: PortalFixture, workspace_id, *, by: str | None = None) -> str:
    with db.unit_of_work() as session:
        actor = actor_for(session, pf.slug, by or pf.owner_email)
        view, _made = workspace_links.open_link(session, actor, workspace_id)
        return view.url.rsplit("/join/", 1)[1]


def ask_to_join(
    db, token: str, email: str, *, name: str = "Rita Requester", note: str = "From the audit team"
):
    with db.unit_of_work() as session:
        return join_requests_flow.request_to_join(
            session, token=token, email=email, name=name, note=note, ip="10.0.0.2"
        )
