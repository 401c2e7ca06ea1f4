"""What a message says of the flow roles its person holds (``notifications.held_roles``), in an
email (text and HTML) and in a text message: every workspace's roles, and past a few, how many
more."""

from __future__ import annotations

from admit.notifications.held_roles import BRIEF_CHARACTERS, MAX_NAMED, said
from admit.notifications.render import render
from tests.notifications.test_sms import invitation_context

DESIGN_TAX = [["Design", ["Reviewer"]], ["Tax 2026", ["Approver"]]]


def test_roles_in_the_workspace_the_message_names_are_there():
    assert said([["Design", ["Reviewer"]]], here="Design") == "You will hold the role “Reviewer” there."
    assert said([["Design", ["Reviewer", "Signer"]]], here="Design") == (
        "You will hold the roles “Reviewer” and “Signer” there."
    )
    assert said([], here="Design") == "" and said(None) == ""


def test_each_workspaces_roles_are_named_the_messages_own_first():
    assert (
        said(DESIGN_TAX, here="Design")
        == "You will hold the roles “Reviewer” in “Design” and “Approver” in “Tax 2026”."
    )
    assert said(DESIGN_TAX, here="Tax 2026") == (
        "You will hold the roles “Approver” in “Tax 2026” and “Reviewer” in “Design”."
    )
    # A role elsewhere only: its workspace is named, never "there".
    assert (
        said([["Tax 2026", ["Approver"]]], here="Design")
        == "You will hold the role “Approver” in “Tax 2026”."
    )


def test_past_a_few_roles_the_rest_are_counted():
    many = [[f"Workspace {i}", ["Reviewer"]] for i in range(1, 10)]
    text = said(many, here="Workspace 1")
    assert text.startswith(
        "You will hold 9 roles: “Reviewer” in “Workspace 1”, “Reviewer” in “Workspace 2”,"
    ), text
    assert text.endswith(f"“Reviewer” in “Workspace {MAX_NAMED}”, and 3 more in 3 other workspaces."), text
    # A workspace named in part: the rest are counted, no workspace count.
    text = said([["Design", [f"Role {i}" for i in range(1, 9)]]], here="Tax")
    assert text.endswith("“Role 6” in “Design”, and 2 more."), text


def test_html_puts_the_roles_in_bold_and_escapes_every_name():
    html = said([["<b>Design</b>", ["Re<i>viewer"]], ["Tax", ["Approver"]]], here="Tax", html=True)
    assert html == (
        "You will hold the roles <strong>“Approver”</strong> in “Tax” and"
        " <strong>“Re&lt;i&gt;viewer”</strong> in “&lt;b&gt;Design&lt;/b&gt;”."
    )


def test_a_message_queued_before_holds_its_one_workspaces_roles():
    """An outbox row written before messages named every workspace: ``flow_roles`` of names."""
    assert said(["Reviewer"], here="Design") == "You will hold the role “Reviewer” there."


def test_a_text_names_the_roles_briefly():
    assert said(DESIGN_TAX, brief=True) == "Roles: Reviewer, Approver."
    assert said([["Design", ["Reviewer"]], ["Tax", ["Reviewer"]]], brief=True) == "Role: Reviewer."
    four = [["Design", ["Reviewer", "Approver", "Client signer", "Witness"]]]
    assert said(four, brief=True) == "Roles: Reviewer +3 more."
    long = said([["D", ["R" * 200, "Approver"]]], brief=True)
    assert long == "Roles: " + "R" * (BRIEF_CHARACTERS - len(" +1 more") - 1) + "… +1 more.", long


def test_the_invitation_text_names_the_roles_and_stays_short():
    """The text of an invitation (and of its reminder) says the roles after the portal; with every
    name 200 characters long it stays under 300 characters, the link whole."""
    sms = render(
        "invitation", invitation_context(workspace_name="Design", flow_roles=DESIGN_TAX), channel="sms"
    )
    assert "“Design” in Acme Inc. Roles: Reviewer, Approver. Accept: http" in sms.text, sms.text
    link = "http://127.0.0.1:8000/invite/" + "A" * 43
    long = "N" * 200
    for template in ("invitation", "invitation_reminder"):
        sms = render(
            template,
            invitation_context(
                link,
                inviter_name=long,
                portal_name=long,
                workspace_name=long,
                flow_roles=[[long, [long, long + "2", long + "3"]]],
                sent_at_text="1 January 2030",
            ),
            channel="sms",
        )
        assert len(sms.text) < 300 and link in sms.text, (len(sms.text), sms.text)
        assert " +2 more. Accept:" in sms.text, sms.text
