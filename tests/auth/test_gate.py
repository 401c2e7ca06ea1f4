"""The sign-in gate: every way in, on both faces, ends in auth.service.sign_in (the one place the
portal's sign-in policy applies), which records how the person proved who they are."""

from __future__ import annotations

from sqlalchemy import select

from admit.audit.models import AuditEvent
from admit.portals import service as portals_service
from tests.factories import (
    OWNER_PASSWORD,
    PASSWORD,
    PortalFixture,
    create_portal,
    csrf_of,
    invite,
    last_link,
    member_joins,
)
from tests.links.helpers import confirmation_token, link_token, sign_up


def _gates(db) -> list[tuple[str, str]]:
    """``(address, via)`` of every pass through the gate, in order."""
    with db.unit_of_work() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.signed_in").order_by(AuditEvent.created_at)
        ).all()
        return [(e.target_label, e.detail["via"]) for e in events]


class TestEveryWayInPassesTheGate:
    def test_the_api(self, client, db, worker):
        """Password, sign-in link, accepting an invitation, confirming a link sign-up."""
        pf = create_portal(db)
        assert (
            client.post(
                "/api/v1/auth/login", json={"email": pf.owner_email, "password": OWNER_PASSWORD}
            ).status_code
            == 200
        )
        client.cookies.clear()

        member_joins(db, worker, pf, "cleo@client.org", user_type="client", password=None)
        client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@client.org"})
        worker.drain()
        assert (
            client.post(
                f"/api/v1/auth/sign-in-link/{last_link(db, 'cleo@client.org', 'sign_in')}"
            ).status_code
            == 200
        )
        client.cookies.clear()

        invite(db, pf, ["ivy@acme.com"])
        worker.drain()
        r = client.post(
            f"/api/v1/invitations/{last_link(db, 'ivy@acme.com')}/accept", json={"password": PASSWORD}
        )
        assert r.status_code == 200, r.text
        client.cookies.clear()

        sign_up(db, link_token(db, pf), "sam@acme.com")
        r = client.post(
            f"/api/v1/links/confirm/{confirmation_token(db, 'sam@acme.com')}", json={"password": PASSWORD}
        )
        assert r.status_code == 200, r.text

        assert _gates(db)[-4:] == [
            (pf.owner_email, "password"),
            ("cleo@client.org", "sign_in_link"),
            ("ivy@acme.com", "invitation"),
            ("sam@acme.com", "link_signup"),
        ]

    def test_the_pages(self, client, db, worker):
        """Setting Admit up, the sign-in form, a sign-in link, accepting an invitation, confirming a
        sign-up: the pages sign people in through the same gate."""
        page = client.get("/setup")
        setup = {
            "portal_name": "Acme Inc",
            "owner_email": "olive@acme.com",
            "owner_password": OWNER_PASSWORD,
            "csrf_token": csrf_of(page.text),
        }
        assert client.post("/setup", data=setup, follow_redirects=False).status_code == 303
        client.cookies.clear()
        page = client.get("/login")
        form = {"email": "olive@acme.com", "password": OWNER_PASSWORD, "csrf_token": csrf_of(page.text)}
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        client.cookies.clear()

        with db.unit_of_work() as session:
            portal = portals_service.get_by_slug(session, "acme-inc")
            pf = PortalFixture(
                slug=portal.slug, api_key="", owner_email="olive@acme.com", portal_id=portal.id
            )
        invite(db, pf, ["cleo@client.org"], user_type="client")
        worker.drain()
        token = last_link(db, "cleo@client.org")
        page = client.get(f"/invite/{token}")
        assert (
            client.post(
                f"/invite/{token}", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
            ).status_code
            == 303
        )
        client.cookies.clear()

        client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@client.org"})
        worker.drain()
        token = last_link(db, "cleo@client.org", "sign_in")
        page = client.get(f"/login/link/{token}")
        assert (
            client.post(
                f"/login/link/{token}", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
            ).status_code
            == 303
        )
        client.cookies.clear()

        sign_up(db, link_token(db, pf), "sam@acme.com")
        token = confirmation_token(db, "sam@acme.com")
        page = client.get(f"/confirm/{token}")
        data = {"csrf_token": csrf_of(page.text), "password": PASSWORD}
        assert client.post(f"/confirm/{token}", data=data, follow_redirects=False).status_code == 303

        assert [via for _address, via in _gates(db)] == [
            "setup",
            "password",
            "invitation",
            "sign_in_link",
            "link_signup",
        ]
