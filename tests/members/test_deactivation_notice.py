"""A deactivated person is told their access ended (they were told nothing, and learnt it only
at their next request): one email, text and HTML, in the words of the "Your access has ended"
page, delivered over SMTP to a real aiosmtpd server on 127.0.0.1. Both databases."""

from __future__ import annotations

from admit.jobs import Worker
from tests.factories import active_member, create_portal
from tests.notifications.test_delivery import RecordingHandler, parts_by_type, smtp, smtp_server  # noqa: F401

SAID = "An administrator ended your access to Acme Inc. Ask one of its owners or admins to reactivate you."


def _member_id(client, pf, email: str) -> str:
    r = client.get(f"/api/v1/portals/{pf.slug}/members", headers=pf.headers())
    assert r.status_code == 200, r.text
    return next(m["id"] for m in r.json()["items"] if m["user"]["email"] == email)


def test_the_person_deactivated_is_told_once(client, db, settings, smtp_server):  # noqa: F811
    """Deactivate sends them one email saying their access to the portal ended and the way
    back; deactivating them again (nothing to do) sends nothing more."""
    handler = RecordingHandler()
    port = smtp_server(handler)
    pf = create_portal(db)
    active_member(db, pf, "cleo@client.org", user_type="client", password=None)
    cleo = _member_id(client, pf, "cleo@client.org")
    for _ in range(2):
        r = client.post(f"/api/v1/portals/{pf.slug}/members/{cleo}/deactivate", headers=pf.headers())
        assert r.status_code == 200, r.text
    Worker(db, smtp(settings, port)).drain()
    (message,) = [m for m in handler.messages() if m["To"] == "cleo@client.org"]
    assert message["Subject"] == "Your access to Acme Inc has ended"
    parts = parts_by_type(message)
    assert SAID in parts["text/plain"]
    assert f"<p>{SAID}</p>" in parts["text/html"]
    for part in (parts["text/plain"], parts["text/html"]):
        assert "Any other portal you belong to is not affected." in part
