"""The members counts other rules read: active owners (the last owner may not go: ``policy``)
and active members (an HR sync's deactivation limit), on both backends. The owners' count seeks
in the portal's kind index with the user type bound to every value (``kit.pagination.seekable``):
the same numbers as counting every row."""

from __future__ import annotations

from sqlalchemy import func, select

from admit.members import service as members_service
from admit.members.models import Member
from admit.portals.models import Portal
from tests.factories import active_member, create_portal


def _portal_id(db, slug: str):
    with db.unit_of_work() as session:
        return session.scalar(select(Portal.id).where(Portal.slug == slug))


def _by_every_row(db, portal_id, **wanted) -> int:
    with db.unit_of_work() as session:
        rows = session.execute(select(Member.role, Member.status).where(Member.portal_id == portal_id)).all()
    return sum(all(getattr(row, k) == v for k, v in wanted.items()) for row in rows)


def test_owners_and_active_members_are_counted_in_their_portal_only(db):
    first, second = create_portal(db), create_portal(db)
    active_member(db, first, "olga@acme.com", role="owner")
    active_member(db, first, "ada@acme.com", role="admin")
    active_member(db, first, "cleo@client.org", user_type="client", password=None)
    active_member(db, first, "carl@client.org", user_type="client", password=None)
    active_member(db, second, "otto@beta.com", role="owner")
    with db.unit_of_work() as session:  # one owner of the first portal leaves (deactivated)
        portal_id = session.scalar(select(Portal.id).where(Portal.slug == first.slug))
        leaving = session.scalar(
            select(Member).where(Member.portal_id == portal_id, Member.role == "owner").limit(1)
        )
        members_service.set_status(session, leaving, members_service.DEACTIVATED)
    for pf in (first, second):
        portal_id = _portal_id(db, pf.slug)
        with db.unit_of_work() as session:
            owners = members_service.count_active_owners(session, portal_id)
            active = members_service.count_active(session, portal_id)
            every = session.scalar(
                select(func.count()).select_from(Member).where(Member.portal_id == portal_id)
            )
        assert owners == _by_every_row(db, portal_id, role="owner", status="active")
        assert active == _by_every_row(db, portal_id, status="active")
        assert 0 < active < every or pf is second
    # The first portal: its creator and Olga were owners, one of them left; Ada and two clients.
    first_id = _portal_id(db, first.slug)
    with db.unit_of_work() as session:
        assert members_service.count_active_owners(session, first_id) == 1
        assert members_service.count_active(session, first_id) == 4
