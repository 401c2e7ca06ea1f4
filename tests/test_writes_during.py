"""The tests' ``writes_during`` (tests/factories.py), which several tests lean on to prove that a
refusal wrote nothing: it must see writes made past SQLAlchemy, and must not pass a block whose
connection it cannot watch."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.factories import create_portal, invite, writes_during


def test_it_sees_an_invitation_written_in_bulk(db):
    """An invitation's rows go in through ``kit.bulk.insert_rows`` (COPY or executemany, past
    SQLAlchemy's events): seen all the same."""
    pf = create_portal(db)
    _, written = writes_during(db, lambda: invite(db, pf, ["ada@example.com"]))
    assert any("invitations" in w for w in written), written


def test_a_connection_out_already_is_refused_not_left_unseen(db):
    """A statement on a connection taken before the call was not seen (a reviewer's probe: it
    answered no writes for an UPDATE): such a call is refused."""
    create_portal(db)
    with db.unit_of_work() as session:
        session.execute(text("select 1"))
        with pytest.raises(AssertionError, match="a connection is out already"):
            writes_during(db, lambda: session.execute(text("update portals set name = name")))
