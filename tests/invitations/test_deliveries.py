"""An invitation's delivery history: every message written for it, newest first, whatever became
of each (``GET …/invitations/{id}/deliveries``, ``admit invitations show``)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from admit.flows import invitations as invitations_flow
from admit.kit import clock
from tests.factories import OWNER_PASSWORD, actor_for, create_portal, invite, login, member_joins


def history(client, pf, invitation_id, **params) -> dict:
    r = client.get(
        f"/api/v1/portals/{pf.slug}/invitations/{invitation_id}/deliveries",
        headers=pf.headers(),
        params=params,
    )
    assert r.status_code == 200, r.text
    return r.json()


def sent_resent_twice_and_reminded(db, worker, pf):
    """Ada's invitation: sent; a reminder (a third of its week later), sent; resent twice before
    the worker ran (the first Resend's message cancelled by the second's)."""
    (inv,) = invite(db, pf, ["ada@example.com"]).invited
    worker.drain()
    with clock.travel(timedelta(days=7) / 3 + timedelta(minutes=1)):
        assert worker.run_scheduled()["reminded"] == 1
        worker.drain()
    with clock.travel(timedelta(days=7) / 3 + timedelta(minutes=2)):
        for _ in range(2):
            with db.unit_of_work() as session:
                invitations_flow.resend(session, actor_for(session, pf.slug, pf.owner_email), inv.id)
    return inv


class TestDeliveryHistory:
    def test_every_message_newest_first_with_its_kind_status_and_reason(self, client, db, worker):
        pf = create_portal(db)
        inv = sent_resent_twice_and_reminded(db, worker, pf)

        items = history(client, pf, inv.id)["items"]

        assert [(i["kind"], i["status"], i["error"]) for i in items] == [
            ("resend", "queued", None),
            ("resend", "cancelled", "superseded before delivery"),
            ("reminder", "sent", None),
            ("invitation", "sent", None),
        ]
        assert {(i["channel"], i["to"]) for i in items} == {("email", "ada@example.com")}
        assert [i["sent_at"] is not None for i in items] == [False, False, True, True]
        assert all(i["queued_at"] for i in items)

    def test_it_pages_with_a_cursor(self, client, db, worker):
        pf = create_portal(db)
        inv = sent_resent_twice_and_reminded(db, worker, pf)

        first = history(client, pf, inv.id, limit=3)
        rest = history(client, pf, inv.id, limit=3, cursor=first["next_cursor"])

        assert [i["kind"] for i in first["items"]] == ["resend", "resend", "reminder"]
        assert ([i["kind"] for i in rest["items"]], rest["next_cursor"]) == (["invitation"], None)

    def test_only_whoever_may_see_the_invitation(self, client, db, worker):  # noqa: ARG002
        """Another portal's key finds no such invitation (404), as ``GET …/invitations/{id}``."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        other = create_portal(db, name="Bolt Ltd", owner_email="olga@bolt.example")
        r = client.get(
            f"/api/v1/portals/{other.slug}/invitations/{inv.id}/deliveries", headers=other.headers()
        )
        assert (r.status_code, r.json()["code"]) == (404, "invitation_not_found")
        assert history(client, pf, inv.id)["items"][0]["kind"] == "invitation"

    def test_admit_invitations_show_prints_the_history(self, db, worker, run_cli):
        """``admit invitations show ADDRESS``: the invitation, then its messages newest first,
        each with its delivery as User Management words it; ``--json`` the API's shapes."""
        pf = create_portal(db)
        inv = sent_resent_twice_and_reminded(db, worker, pf)

        result = run_cli("invitations", "show", "--portal", pf.slug, "ada@example.com")

        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert lines[0].startswith("Invitation to ada@example.com: pending, internal, member; expires ")
        assert lines[1] == "Deliveries, newest first:"
        assert lines[2].split() == ["Kind", "Channel", "To", "Queued", "Sent", "Delivery"]
        assert [line.split()[0] for line in lines[3:]] == ["resend", "resend", "reminder", "invitation"]
        assert lines[3].endswith("Queued") and lines[4].endswith("Cancelled: superseded before delivery")
        assert lines[6].endswith("Sent")
        shown = json.loads(run_cli("invitations", "show", "--portal", pf.slug, str(inv.id), "--json").output)
        assert shown["invitation"]["id"] == str(inv.id)
        assert [d["kind"] for d in shown["deliveries"]] == ["resend", "resend", "reminder", "invitation"]

    def test_user_management_row_menu_opens_the_history_page(self, client, db, worker):
        """The invitation's row on User Management has "Delivery history" in its "…" menu; its
        page lists every message, newest first, in the row's words, and leads back to the row.
        A client of the portal (who may not see invitations) finds no such page."""
        pf = create_portal(db)
        inv = sent_resent_twice_and_reminded(db, worker, pf)
        login(client, pf.owner_email, OWNER_PASSWORD)
        roster = client.get(f"/p/{pf.slug}/users")
        url = f"/p/{pf.slug}/invitations/{inv.id}/deliveries"
        assert f'<a role="menuitem" href="http://testserver{url}">Delivery history</a>' in roster.text

        page = client.get(url)

        assert page.status_code == 200
        rows = re.findall(r'<tr data-kind="(\w+)">(.*?)</tr>', page.text, re.S)
        assert [kind for kind, _ in rows] == ["resend", "resend", "reminder", "invitation"]
        words = [re.sub(r"<[^>]+>", " ", row).split() for _, row in rows]
        assert "Queued" in words[0] and "superseded before delivery" in " ".join(words[1])
        assert [w for w in words[3] if w in ("Invitation", "ada@example.com", "Sent")] == [
            "Invitation",
            "ada@example.com",
            "Sent",
        ]
        assert f'href="/p/{pf.slug}/users?tab=internal#row-{inv.id}">← Back to User Management' in page.text

        member_joins(db, worker, pf, "cleo@client.org", user_type="client")
        client.cookies.clear()
        login(client, "cleo@client.org")
        assert client.get(url).status_code == 403
