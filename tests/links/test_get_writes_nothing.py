"""Reading an invite link writes nothing: ``GET …/link`` and ``GET …/workspaces/{id}/link``
answer 404 ``link_not_found`` until the link is made (``POST`` the same path: 201, or 200 with
the link that stands), where they made it on first read and audited "created the invite link".
The pages that show a link make it as they show it. Both backends."""

from __future__ import annotations

from sqlalchemy import func, select

from admit.audit.models import AuditEvent
from admit.links.models import InviteLink
from tests.factories import OWNER_PASSWORD, create_portal, login


def _written(db) -> tuple[int, int]:
    with db.unit_of_work() as session:
        links = session.scalar(select(func.count()).select_from(InviteLink))
        made = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "invite_link.created")
        )
        return links, made


def _read_after_made(client, db, pf, at: str) -> dict:
    """GET is 404 and writes nothing; POST makes it (201), again answers it (200); GET reads it."""
    r = client.get(at, headers=pf.headers())
    assert (r.status_code, r.json()["code"]) == (404, "link_not_found"), r.text
    assert _written(db) == (0, 0)
    made = client.post(at, headers=pf.headers())
    assert made.status_code == 201, made.text
    again = client.post(at, headers=pf.headers())
    assert (again.status_code, again.json()["url"]) == (200, made.json()["url"])
    assert client.get(at, headers=pf.headers()).json()["url"] == made.json()["url"]
    assert _written(db) == (1, 1)
    return made.json()


def test_the_portals_link_is_read_after_it_is_made(client, db):
    pf = create_portal(db)
    made = _read_after_made(client, db, pf, f"/api/v1/portals/{pf.slug}/link")
    assert made["enabled"] is False  # a new portal link starts off, as it always did


def test_a_workspaces_link_is_read_after_it_is_made(client, db):
    pf = create_portal(db)
    ws = client.post(
        f"/api/v1/portals/{pf.slug}/workspaces", json={"name": "Deals", "kind": "chat"}, headers=pf.headers()
    ).json()
    made = _read_after_made(client, db, pf, f"/api/v1/portals/{pf.slug}/workspaces/{ws['id']}/link")
    assert made["enabled"] is True  # a workspace link starts on


def test_the_pages_that_show_a_link_make_it(client, db):
    pf = create_portal(db)
    login(client, pf.owner_email, OWNER_PASSWORD)
    assert client.get(f"/p/{pf.slug}/invite-link").status_code == 200
    assert client.get(f"/api/v1/portals/{pf.slug}/link", headers=pf.headers()).status_code == 200
