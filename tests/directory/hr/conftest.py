"""A portal, a fake HR system on loopback (``fakes.serve``), and helpers that drive a connection
through the API as an integrator would, with the worker running the sync."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from admit.audit.models import AuditEvent
from admit.directory.models import HrEmployee, HrSyncRun
from admit.invitations.models import Invitation
from admit.members.models import Member, User
from tests.directory.hr.fakes import Person, serve
from tests.factories import create_portal

PROVIDERS = ("bamboohr", "personio", "hibob", "generic")


@pytest.fixture
def portal(db, change_settings):
    # Generous: a loaded CI machine builds a 5,000-employee answer slowly. The timeout test
    # shortens it for itself.
    change_settings(directory_allow_private=True, hr_timeout_seconds=15.0)
    return create_portal(db)


@pytest.fixture(params=PROVIDERS)
def fake(request):
    with serve(request.param) as f:
        yield f


def people(n: int = 0, *, start: int = 0) -> list[Person]:
    return [
        Person(
            id=str(1000 + i),
            first_name=f"Emp{i}",
            last_name="Loyee",
            email=f"emp{i}@acme.com",
            department="Engineering" if i % 2 else "Sales",
        )
        for i in range(start, start + n)
    ]


class Hr:
    """A connection to ``fake`` in ``portal``, through the API."""

    def __init__(self, client, db, worker, portal, fake):
        self.client, self.db, self.worker, self.portal, self.fake = client, db, worker, portal, fake
        self.base = f"/api/v1/portals/{portal.slug}/directory/connections"
        self.id = None

    def connect(self, **options) -> dict:
        c = self.fake.credentials
        r = self.client.post(
            self.base,
            json={
                "provider": self.fake.provider,
                "api_key": c.api_key,
                "account": c.account,
                "base_url": c.base_url,
                "fields_granted": True,
                **options,
            },
            headers=self.portal.headers(),
        )
        assert r.status_code == 201, r.text
        self.id = r.json()["id"]
        return r.json()

    def preview(self) -> dict:
        r = self.client.post(f"{self.base}/{self.id}/preview", headers=self.portal.headers())
        assert r.status_code == 200, r.text
        return r.json()

    def sync(self, selection=None) -> dict:
        """Queue a run and let the worker carry it out (and its invitations, and their emails)."""
        body = {} if selection is None else {"selection": selection}
        r = self.client.post(f"{self.base}/{self.id}/sync", json=body, headers=self.portal.headers())
        assert r.status_code == 202, r.text
        self.worker.drain()
        return self.run(r.json()["id"])

    def run(self, run_id) -> dict:
        r = self.client.get(f"{self.base}/{self.id}/runs/{run_id}", headers=self.portal.headers())
        assert r.status_code == 200, r.text
        return r.json()

    def connection(self) -> dict:
        return self.client.get(f"{self.base}/{self.id}", headers=self.portal.headers()).json()

    # What the portal holds, read straight from the tables.

    def state(self) -> dict:
        with self.db.unit_of_work() as s:
            rows = s.execute(
                select(User.email, User.name, Member.status).join(Member, Member.user_id == User.id)
                .where(Member.portal_id == self.portal.portal_id)
            ).all()  # fmt: skip
            invitations = s.execute(
                select(Invitation.recipient, Invitation.status).where(
                    Invitation.portal_id == self.portal.portal_id
                )
            ).all()
            return {
                "members": {e: (n, st) for e, n, st in rows},
                "invitations": sorted((r, st) for r, st in invitations),
                "audit": s.scalar(select(func.count()).select_from(AuditEvent)),
                "seen": sorted(
                    tuple(r)
                    for r in s.execute(
                        select(HrEmployee.external_id, HrEmployee.address, HrEmployee.updated_at)
                    )
                ),
                "runs": s.scalar(select(func.count()).select_from(HrSyncRun)),
            }

    def audit_actions(self, since: int = 0) -> list[tuple[str, str]]:
        with self.db.unit_of_work() as s:
            rows = s.execute(
                select(AuditEvent.action, AuditEvent.actor_label).order_by(
                    AuditEvent.created_at, AuditEvent.id
                )
            ).all()
        return [(a, label) for a, label in rows][since:]


@pytest.fixture
def hr(client, db, worker, portal, fake):
    return Hr(client, db, worker, portal, fake)


TODAY = date.today()
LATER = TODAY + timedelta(days=30)
