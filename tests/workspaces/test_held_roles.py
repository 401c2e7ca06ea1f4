"""The flow roles an invitation's messages name, on both backends, when the invitation brings its
person into several workspaces (``notifications.held_roles``; its wording in
tests/notifications/test_held_roles.py)."""

from __future__ import annotations

from datetime import timedelta

from tests.workspaces.helpers import (
    api,
    assign_role,
    create_portal,
    create_workspace,
    invite_token,
    members,
    messages_to,
    role_ids,
)


def _flat(mail) -> tuple[str, str]:
    return " ".join(mail.text.split()), " ".join(mail.html.split())


def test_every_message_of_an_invitation_names_the_roles_of_each_workspace(client, db, worker):
    """The tester: Sam was invited as Reviewer in “Design”, then made Approver in “Tax 2026” on
    the invitation that stood: the Resend, the Reinvite and the reminder named Reviewer alone.
    Each names both, the workspace the message is about first; so does the invitation's page."""
    from admit.kit import clock

    pf = create_portal(db)
    design = create_workspace(client, pf, "Design", kind="flow", roles=["Reviewer"])
    tax = create_workspace(client, pf, "Tax 2026", kind="flow", roles=["Approver", "Signer"])
    (reviewer,) = role_ids(client, pf, design["id"])
    approver, signer = role_ids(client, pf, tax["id"])
    invitation_id = assign_role(
        client, pf, design["id"], reviewer, recipient="sam@smith.org", user_type="client"
    ).json()["added"]["invitation"]["id"]
    assign_role(client, pf, tax["id"], approver, recipient="sam@smith.org", user_type="client")
    sam = next(
        m["user"]["id"]
        for m in members(client, pf, tax["id"])["items"]
        if m["user"]["email"] == "sam@smith.org"
    )
    assign_role(client, pf, tax["id"], signer, user_id=sam)
    worker.drain()
    design_first = "You will hold the roles “Reviewer” in “Design” and “Approver” and “Signer” in “Tax 2026”."
    design_first_html = (
        "You will hold the roles <strong>“Reviewer”</strong> in “Design” and <strong>“Approver”</strong>"
        " and <strong>“Signer”</strong> in “Tax 2026”."
    )

    # User Management's Reinvite: the message names the first workspace, and every role.
    r = client.post(f"/api/v1/portals/{pf.slug}/invitations/{invitation_id}/resend", headers=pf.headers())
    assert r.status_code == 200, r.text
    worker.drain()
    text, html = _flat(messages_to(db, "sam@smith.org")[-1])
    assert "the workspace “Design”" in text and design_first in text, text
    assert design_first_html in html, html

    # Tax 2026's Resend Invitation: that workspace's message, its roles first.
    r = client.post(api(pf, f"/workspaces/{tax['id']}/members/{sam}/resend"), headers=pf.headers())
    assert r.status_code == 200, r.text
    worker.drain()
    text, html = _flat(messages_to(db, "sam@smith.org")[-1])
    tax_first = "You will hold the roles “Approver” and “Signer” in “Tax 2026” and “Reviewer” in “Design”."
    assert "the workspace “Tax 2026”" in text and tax_first in text, text

    # A reminder, read as it is sent.
    with clock.travel(timedelta(days=7) / 3 + timedelta(minutes=1)):
        assert worker.run_scheduled()["reminded"] == 1
        worker.drain()
    mail = messages_to(db, "sam@smith.org")[-1]
    assert mail.subject.startswith("Reminder:"), mail.subject
    text, html = _flat(mail)
    assert design_first in text, text
    assert design_first_html in html, html

    # The invitation's page, its link opened, says it as the emails do.
    page = " ".join(client.get(f"/invite/{invite_token(mail.text)}").text.split())
    assert design_first_html in page, page
