"""``db.step_out``: on SQLite a transaction that has only read is ended before slow work (an
argon2 hash), so the one write lock is free meanwhile; one that has written is left whole."""

from __future__ import annotations

from sqlalchemy import func, select

from admit.db import step_out
from admit.members import service as members_service
from admit.members.models import User


def _users(db) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(User))


def test_a_transaction_that_only_read_is_ended_on_sqlite_only(db):
    with db.unit_of_work() as session:
        members_service.add_user(session, "ada@acme.com", name="Ada")
    with db.unit_of_work() as session:
        user = members_service.get_user_by_address(session, "ada@acme.com")
        step_out(session)
        assert session.in_transaction() is (not db.is_sqlite)
        assert user.name == "Ada"  # what was loaded stays
        if db.is_sqlite:
            # The write lock is free: another session writes and commits meanwhile.
            with db.unit_of_work() as other:
                members_service.add_user(other, "bo@acme.com")
        members_service.add_user(session, "cy@acme.com")  # a new transaction begins here
    assert _users(db) == (3 if db.is_sqlite else 2)


def test_a_transaction_that_wrote_is_left_whole(db):
    with db.unit_of_work() as session:
        members_service.add_user(session, "ada@acme.com")  # flushed: written, not committed
        step_out(session)
        assert session.in_transaction()
        session.rollback()
    assert _users(db) == 0


def test_pending_changes_are_not_committed_by_it(db):
    with db.unit_of_work() as session:
        session.add(User(email="ada@acme.com", name=""))  # not flushed yet
        step_out(session)
        assert session.in_transaction() or not db.is_sqlite
        session.rollback()
    assert _users(db) == 0
