"""Races in workspaces (both backends; the point is PostgreSQL, where requests really overlap):
the same people added by several requests at once, one role assigned by several at once, and
one contact added twice at once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from admit.contacts.models import Contact
from admit.flows import contacts as contacts_flow
from admit.flows import workspace_people
from admit.people import workspace as workspace_view
from admit.workspaces import service as workspaces_service
from admit.workspaces.models import RoleAssignment, WorkspaceMember
from tests.factories import actor_for, create_portal, member_joins, race

pytestmark = pytest.mark.slow

RACERS = 8


def _workspace(db, pf, kind="chat", role_names=None):
    with db.unit_of_work() as session:
        actor = actor_for(session, pf.slug, pf.owner_email)
        return workspaces_service.create(session, actor, name="Race", kind=kind, roles=role_names).id


def _count(db, model, *where) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_same_people_added_at_once_are_added_once(db, worker):
    """Eight requests add the same two people (one existing, one new) at the same moment: each
    is in the workspace once; every other request is told already_in_workspace (or
    already_invited), and none fails."""
    pf = create_portal(db)
    member_joins(db, worker, pf, "ivy@acme.com")
    ws_id = _workspace(db, pf)

    def add(_i):
        with db.unit_of_work() as session:
            actor = actor_for(session, pf.slug, pf.owner_email)
            results = workspace_people.add_people(
                session, actor, ws_id, recipients=["ivy@acme.com", "new@home.net"]
            )
            return [(r.recipient, r.outcome, r.code) for r in results]

    results = race(RACERS, add)
    assert not [r for r in results if isinstance(r, Exception)], results
    outcomes = [o for r in results for o in r]
    assert sum(o[1] == "added" for o in outcomes) == 1, outcomes
    assert sum(o[1] == "invited" for o in outcomes) == 1, outcomes
    assert _count(db, WorkspaceMember, WorkspaceMember.workspace_id == ws_id) == 3  # with the owner


def test_one_role_assigned_at_once_has_one_holder_and_a_history(db, worker):
    pf = create_portal(db)
    for i in range(RACERS):
        member_joins(db, worker, pf, f"m{i}@acme.com")
    ws_id = _workspace(db, pf, kind="flow", role_names=["Reviewer"])
    with db.unit_of_work() as session:
        role_id = workspace_view.roles_view(session, actor_for(session, pf.slug, pf.owner_email), ws_id)[
            0
        ].role.id

    def assign(i):
        with db.unit_of_work() as session:
            actor = actor_for(session, pf.slug, pf.owner_email)
            workspace_people.assign_role(session, actor, ws_id, role_id, recipient=f"m{i}@acme.com")

    results = race(RACERS, assign)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert (
        _count(db, RoleAssignment, RoleAssignment.role_id == role_id, RoleAssignment.ended_at.is_(None)) == 1
    )
    assert _count(db, RoleAssignment, RoleAssignment.role_id == role_id) == RACERS


def test_one_contact_added_twice_at_once_is_kept_once(db, worker):
    pf = create_portal(db)
    member_joins(db, worker, pf, "cleo@client.org", user_type="client")

    def add(_i):
        with db.unit_of_work() as session:
            actor = actor_for(session, pf.slug, pf.owner_email)
            return contacts_flow.add(session, actor, recipient="cleo@client.org", then="quietly").outcome

    results = race(RACERS, add)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert _count(db, Contact) == 1
