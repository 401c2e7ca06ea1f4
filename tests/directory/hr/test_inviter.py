"""Who an HR sync's invitation says invited them: on auto-pilot (nobody pressed Send) the HR
connection ("BambooHR", "The HR list at 127.0.0.1:8851"), in the email and on User Management's
Invited by, where it said the portal ("Acme Inc invited you to join Acme Inc") and "—"; a run an
admin started by pressing Send names that admin. Both databases, the fakes on loopback."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from admit.flows import join
from admit.notifications import mailbox
from tests.directory.hr.fakes import Person
from tests.factories import PASSWORD, last_link
from tests.scim.test_names import people

ADA = Person(id="1", first_name="Ada", last_name="Lovelace", email="ada@acme.com")


def invitation_email(db) -> str:
    with db.unit_of_work() as session:
        (email,) = mailbox.messages(session, to="ada@acme.com")
        return email.text


@pytest.mark.parametrize("fake", ["bamboohr", "generic"], indirect=True)
def test_auto_pilot_names_the_connection(hr, fake, db, worker, client, portal):
    fake.people = [ADA]
    hr.connect(schedule="hourly")
    worker.run_once(sweep=False)  # due at once: auto-pilot's first run
    worker.drain()
    host = urlsplit(fake.credentials.base_url).netloc
    named = "BambooHR" if fake.provider == "bamboohr" else f"The HR list at {host}"
    assert people(client, portal)["ada@acme.com"]["invited_by_label"] == named
    assert f"{named} invited you to join Acme Inc" in invitation_email(db)


@pytest.mark.parametrize("fake", ["bamboohr"], indirect=True)
def test_a_run_an_admin_started_names_the_admin(hr, fake, db, client, portal):
    fake.people = [ADA]
    hr.connect()
    assert hr.sync()["status"] == "done"
    assert people(client, portal)["ada@acme.com"]["invited_by_label"] == "Olive Owner"
    assert "Olive Owner invited you to join Acme Inc" in invitation_email(db)


@pytest.mark.parametrize("fake", ["bamboohr"], indirect=True)
def test_who_joined_on_auto_pilot_was_invited_by_the_connection(hr, fake, db, worker, client, portal):
    fake.people = [ADA]
    hr.connect(schedule="hourly")
    worker.run_once(sweep=False)
    worker.drain()
    with db.unit_of_work() as session:
        join.accept(session, token=last_link(db, "ada@acme.com"), password=PASSWORD)
    row = people(client, portal)["ada@acme.com"]
    assert (row["kind"], row["invited_by_label"]) == ("member", "BambooHR")
