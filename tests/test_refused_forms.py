"""A refused admin form, through the real app on both backends: the page comes back with the
refusal's status, what was typed kept, the field at fault marked ``aria-invalid`` with the message
under it (``_fields.html``) and the focus on it; a dialog it came from opens again. What is about no
field stays on top. The click-through in Chromium is tests/browser/test_refused_forms_e2e.py."""

from __future__ import annotations

import html
import re
import uuid

from tests.factories import OWNER_PASSWORD, csrf_of, said_under, sign_in_page
from tests.workspaces.helpers import create_portal, create_workspace


def _page(client, pf, path: str):
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{pf.slug}{path}")
    assert page.status_code == 200, page.text
    return page


def _tag(text: str, field_id: str) -> str:
    return re.search(rf'<(?:input|select|textarea)\b[^>]*\bid="{re.escape(field_id)}"[^>]*>', text).group(0)


def _opened(text: str, dialog_id: str) -> bool:
    return bool(re.search(rf'<dialog id="{re.escape(dialog_id)}"[^>]*data-autopen', text))


def _focused(text: str, field_id: str) -> bool:
    return "autofocus" in _tag(text, field_id)


class TestWorkspaces:
    def test_create_says_the_roles_fault_under_roles(self, client, db):
        """A flow with a role listed twice: said under Roles, the name, kind and roles kept."""
        pf = create_portal(db)
        page = _page(client, pf, "/workspaces")
        r = client.post(
            f"/p/{pf.slug}/workspaces",
            data={
                "csrf_token": csrf_of(page.text),
                "name": "Q3 Audit",
                "kind": "flow",
                "roles": "Lead, Lead",
            },
        )
        assert r.status_code == 422
        assert said_under(r.text, "ws_roles") == "The role “Lead” is listed twice."
        assert 'value="Q3 Audit"' in _tag(r.text, "ws_name") and 'value="Lead, Lead"' in _tag(
            r.text, "ws_roles"
        )
        assert '<option value="flow" selected>' in r.text and _focused(r.text, "ws_roles")
        assert 'class="notice error"' not in r.text  # said once, under the field

    def test_rename_role_reopens_the_dialog_on_the_name_typed(self, client, db):
        """Renaming a role to another's name: the rename dialog opens again, the reason under it."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Q3 Audit", kind="flow", roles=["Reviewer", "Signer"])
        page = _page(client, pf, f"/workspaces/{ws['id']}")
        rename = re.search(
            r'data-rename-action="([^"]+)"\s+data-rename-title="Rename the role “Reviewer”"', page.text
        )
        r = client.post(rename.group(1), data={"csrf_token": csrf_of(page.text), "name": "Signer"})
        assert r.status_code == 409
        assert said_under(r.text, "rename-name") == "This flow already has a role “Signer”."
        assert 'value="Signer"' in _tag(r.text, "rename-name") and _focused(r.text, "rename-name")
        assert _opened(r.text, "rename-dialog") and f'action="{rename.group(1)}"' in r.text

    def test_add_role_assign_and_action_say_their_fields(self, client, db):
        """Add role, Assign (its card shown again) and Add action: each fault under its field."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Q3 Audit", kind="flow", roles=["Reviewer"])
        page = _page(client, pf, f"/workspaces/{ws['id']}")
        url = f"/p/{pf.slug}/workspaces/{ws['id']}"
        csrf = csrf_of(page.text)

        # Another case and spacing is the same name; the refusal names the role as it is written.
        r = client.post(f"{url}/roles", data={"csrf_token": csrf, "name": " reviewer "})
        assert (
            r.status_code == 409
            and said_under(r.text, "new-role") == "This flow already has a role “Reviewer”."
        )
        assert 'value=" reviewer "' in _tag(r.text, "new-role")  # as typed

        assign = re.search(r'action="(?:https?://[^/"]+)?(/p/[^"]+/roles/([^"/]+)/assign)"', page.text)
        role_id = assign.group(2)
        r = client.post(assign.group(1), data={"csrf_token": csrf, "recipient": "  ", "user_type": "client"})
        assert r.status_code == 422
        assert (
            said_under(r.text, f"assign-to-{role_id}") == "Pick a member, or enter an email or phone number."
        )
        assert re.search(rf'<div class="card assign" id="assign-{role_id}" data-assign', r.text)  # not hidden

        typed = {"title": "Sign the letter", "description": "Both pages", "due_on": "soon"}
        r = client.post(f"{url}/actions", data={"csrf_token": csrf, **typed})
        assert r.status_code == 422
        assert said_under(r.text, "action-due") == "The due date is not a date (YYYY-MM-DD)."
        assert 'value="Sign the letter"' in _tag(r.text, "action-title") and 'value="soon"' in _tag(
            r.text, "action-due"
        )
        assert ">Both pages</textarea>" in r.text and _focused(r.text, "action-due")

    def test_the_assign_picker_must_be_chosen(self, client, db):
        """The Assign picker opens on "Choose…" (it pre-selected the owner): a choice the browser
        asks for, and sent empty it is refused under the picker, naming it, its card shown."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Q3 Audit", kind="flow", roles=["Reviewer"])
        page = _page(client, pf, f"/workspaces/{ws['id']}")
        assign = re.search(r'action="(?:https?://[^/"]+)?(/p/[^"]+/roles/([^"/]+)/assign)"', page.text)
        role_id = assign.group(2)
        picker = re.search(rf'<select id="pick-{role_id}"[^>]*>\s*<option([^>]*)>([^<]*)</option>', page.text)
        assert "required" in _tag(page.text, f"pick-{role_id}")
        assert picker.group(2) == "Choose…" and 'value=""' in picker.group(1), picker.group(0)
        assert "selected" not in page.text[picker.end() : page.text.index("</select>", picker.end())]
        assert re.search(r'<input type="hidden" name="picker" value="1">\s*<div><label for="pick-', page.text)

        r = client.post(
            assign.group(1), data={"csrf_token": csrf_of(page.text), "picker": "1", "user_id": ""}
        )
        assert r.status_code == 422
        assert said_under(r.text, f"pick-{role_id}") == "Choose an existing member to assign."
        assert _focused(r.text, f"pick-{role_id}")
        assert re.search(rf'<div class="card assign" id="assign-{role_id}" data-assign', r.text)  # not hidden

    def test_invite_panel_opens_again_with_its_fault(self, client, db):
        """Invite with nobody chosen: under the search; a new person without an address: their
        form shown again, the name kept, the fault under the address."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Onboarding")
        page = _page(client, pf, f"/workspaces/{ws['id']}")
        url = f"/p/{pf.slug}/workspaces/{ws['id']}/people"
        r = client.post(url, data={"csrf_token": csrf_of(page.text)})
        assert r.status_code == 422 and _opened(r.text, "invite-panel")
        assert said_under(r.text, "invite-q") == "Choose at least one person, team or client group."
        r = client.post(url, data={"csrf_token": csrf_of(page.text), "name": "Ada", "user_type": "internal"})
        assert r.status_code == 422 and _opened(r.text, "invite-panel")
        # The address left empty is said as the pipeline says it (not that nobody was chosen).
        assert said_under(r.text, "new-recipient") == "Enter an email address or phone number."
        assert 'value="Ada"' in _tag(r.text, "new-name")
        assert re.search(
            r'<form method="post" action="[^"]+" data-new-person-form novalidate>', r.text
        )  # shown
        assert "Invite a New Internal User" in r.text

    def test_the_new_person_not_let_in_is_said_under_their_address(self, client, db):
        """One new person with a mistyped address: under it, the form as typed, nobody added."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Onboarding")
        page = _page(client, pf, f"/workspaces/{ws['id']}")
        r = client.post(
            f"/p/{pf.slug}/workspaces/{ws['id']}/people",
            data={"csrf_token": csrf_of(page.text), "name": "Cleo", "recipient": "cleo.client.org"},
        )
        assert r.status_code == 422 and _opened(r.text, "invite-panel")
        assert said_under(r.text, "new-recipient") == "An email address must have an @-sign."
        assert 'value="Cleo"' in _tag(r.text, "new-name") and 'value="cleo.client.org"' in _tag(
            r.text, "new-recipient"
        )
        assert 'data-address="cleo.client.org"' not in r.text


class TestContacts:
    def test_add_to_workspace_without_one_comes_back_at_the_endings(self, client, db):
        """Add to Workspace with none chosen: the dialog opens on its endings, the details kept."""
        pf = create_portal(db)
        page = _page(client, pf, "/contacts")
        r = client.post(
            f"/p/{pf.slug}/contacts",
            data={"csrf_token": csrf_of(page.text), "name": "Cleo", "recipient": "cleo@client.org",
                  "user_type": "client", "then": "workspace"},
        )  # fmt: skip
        assert r.status_code == 422 and _opened(r.text, "contact-client")
        assert said_under(r.text, "c-client-ws") == "Choose a workspace, or name a new one."
        assert 'value="Cleo"' in _tag(r.text, "c-client-name")
        assert 'value="cleo@client.org"' in _tag(r.text, "c-client-recipient")
        dialog = re.search(r'<dialog id="contact-client".*?</dialog>', r.text, re.S).group(0)
        assert '<div data-step="1" hidden>' in dialog and '<div data-step="2" class="endings">' in dialog
        assert not _opened(r.text, "contact-internal")

    def test_client_group_and_team_say_their_fields(self, client, db):
        """The client group dialog and the team form: each fault under its field, typed kept."""
        pf = create_portal(db)
        page = _page(client, pf, "/contacts")
        r = client.post(
            f"/p/{pf.slug}/client-groups",
            data={
                "csrf_token": csrf_of(page.text),
                "name": "  ",
                "recipients": "a@client.org",
                "then": "group",
            },
        )
        assert r.status_code == 422 and _opened(r.text, "group-dialog")
        assert said_under(r.text, "g-name") == "The client group needs a name."
        assert ">a@client.org</textarea>" in r.text
        r = client.post(
            f"/p/{pf.slug}/teams",
            data={"csrf_token": csrf_of(page.text), "name": "x" * 201, "recipients": "ada@acme.com"},
        )
        assert (
            r.status_code == 422
            and said_under(r.text, "team-name") == "At most 200 characters; this one has 201."
        )
        assert 'value="ada@acme.com"' in _tag(r.text, "team-people")

    def test_a_new_team_or_group_with_a_wrong_address_is_not_made(self, client, db):
        """A typo among the people of a new team or client group refuses the form, naming it
        under the field with what was typed kept; nothing is made, no one invited (the team was
        made empty under a green "2 skipped", the typed text gone)."""
        from sqlalchemy import func, select

        from admit.invitations.models import Invitation
        from admit.teams.models import Team

        pf = create_portal(db)
        page = _page(client, pf, "/contacts")
        r = client.post(
            f"/p/{pf.slug}/teams",
            data={
                "csrf_token": csrf_of(page.text),
                "name": "Brand",
                "recipients": "ada@acme.com, not-an-email",
            },
        )
        assert r.status_code == 422, r.text
        said = said_under(r.text, "team-people")
        # Several faults: one a line under the field, each its own sentence (not one run-on line).
        first, ada, bad = said.split("\n")
        assert first == "Fix or remove these first:", said
        assert ada.startswith("ada@acme.com: ") and bad.startswith("not-an-email: "), said
        assert ada.endswith(".") and bad.endswith("."), said
        assert 'value="ada@acme.com, not-an-email"' in _tag(r.text, "team-people")
        r = client.post(
            f"/p/{pf.slug}/client-groups",
            data={"csrf_token": csrf_of(page.text), "name": "Fresh", "recipients": "ann@x.org\nbob@@x.org",
                  "then": "group"},
        )  # fmt: skip
        assert r.status_code == 422 and _opened(r.text, "group-dialog")
        assert said_under(r.text, "g-recipients").startswith("Fix or remove this first: bob@@x.org: ")
        # A reason that ends in a question ends the sentence: no full stop after its "?".
        typo = client.post(
            f"/p/{pf.slug}/client-groups",
            data={"csrf_token": csrf_of(page.text), "name": "Fresh", "recipients": "carol@gmial.com",
                  "then": "group"},
        )  # fmt: skip
        assert said_under(typo.text, "g-recipients") == (
            "Fix or remove this first: carol@gmial.com: "
            "The domain looks mistyped. Did you mean carol@gmail.com?"
        )
        assert ">ann@x.org\nbob@@x.org</textarea>" in r.text
        with db.unit_of_work() as session:
            assert session.scalar(select(func.count()).select_from(Team)) == 0
            assert session.scalar(select(func.count()).select_from(Invitation)) == 0

    def test_rename_reopens_the_dialog(self, client, db):
        """Renaming a client group to another's name: the dialog opens again on the name typed."""
        pf = create_portal(db)
        page = _page(client, pf, "/contacts")
        for name in ("Acme buyers", "Acme legal"):
            client.post(
                f"/p/{pf.slug}/client-groups",
                data={
                    "csrf_token": csrf_of(page.text),
                    "name": name,
                    "recipients": "b@client.org",
                    "then": "group",
                },
            )
        page = client.get(f"/p/{pf.slug}/contacts")
        rename = re.search(
            r'data-rename-action="([^"]+)"\s+data-rename-title="Rename the client group “Acme legal”"',
            page.text,
        )
        r = client.post(rename.group(1), data={"csrf_token": csrf_of(page.text), "name": "Acme buyers"})
        assert r.status_code == 409 and _opened(r.text, "rename-dialog")
        assert said_under(r.text, "rename-name") == "A client group named “Acme buyers” exists already."
        assert 'value="Acme buyers"' in _tag(r.text, "rename-name")
        assert 'data-team="Acme legal"' in r.text  # nothing renamed


class TestSettingsForms:
    def test_api_key_says_each_fault_under_its_field(self, client, db):
        """No name and a bad expiry: both said under their fields, the count on top."""
        pf = create_portal(db)
        page = _page(client, pf, "/settings/api-keys")
        url = f"/p/{pf.slug}/settings/api-keys"
        r = client.post(
            url, data={"csrf_token": csrf_of(page.text), "name": "HR sync", "expires_in_days": "ten"}
        )
        assert r.status_code == 422 and said_under(r.text, "key-days") == "The expiry is a number of days."
        assert 'value="HR sync"' in _tag(r.text, "key-name") and _focused(r.text, "key-days")
        r = client.post(url, data={"csrf_token": csrf_of(page.text), "name": " ", "expires_in_days": "0"})
        assert r.status_code == 422
        assert said_under(r.text, "key-name") == "Give the key a name (what uses it)."
        assert said_under(r.text, "key-days").startswith("A key lasts between 1 and")
        assert "2 things to fix below." in html.unescape(r.text)
        assert 'value="0"' in _tag(r.text, "key-days") and _focused(r.text, "key-name")


class TestPortalSettings:
    def test_an_emptied_lifetime_is_refused_as_one_out_of_range_is(self, client, db):
        """The client sign-in link lifetime emptied is said under its field, as the internal
        one's 1 is (the emptied one was put back to 15 without a word); every country code
        that is not one is named ("XX, usa" named only XX)."""
        pf = create_portal(db)
        page = _page(client, pf, "/settings")
        r = client.post(
            f"/p/{pf.slug}/settings",
            data={
                "csrf_token": csrf_of(page.text),
                "name": "Acme",
                "invitation_ttl_hours": "168",
                "client_sign_in_link_minutes": "",
                "internal_sign_in_link_minutes": "1",
                "sms_countries": "XX, usa",
            },
        )
        assert r.status_code == 422, r.text
        range_said = "A sign-in link lives from 5 minutes to 7 days."
        assert said_under(r.text, "client_sign_in_link_minutes") == range_said
        assert said_under(r.text, "internal_sign_in_link_minutes") == range_said
        assert 'value=""' in _tag(r.text, "client_sign_in_link_minutes")
        assert said_under(r.text, "sms_countries") == (
            "“XX” and “usa” are not country codes (such as US, GB, DE)."
        )
        assert "3 things to fix below." in html.unescape(r.text)

    def test_the_page_says_what_internal_sign_in_links_are_for_and_no_api(self, client, db):
        """ "Internal users always have a password" sat above their sign-in links' lifetime: the
        page says whom those links reach; the units are said alike; no API path for an admin."""
        pf = create_portal(db)
        text = html.unescape(_page(client, pf, "/settings").text)
        assert "GET /api/v1/me" not in text
        assert "Internal users always have a password." not in text
        assert "added quietly" in text
        for label in (
            "Invitation lifetime, in hours",
            "Client sign-in link lifetime, in minutes",
            "Internal sign-in link lifetime, in minutes",
        ):
            assert f">{label}</label>" in text, label


def test_two_faults_said_under_one_field_are_both_said():
    """Two of the service's fields that a page shows as one input (the invite link's lifetime and
    never-expires under "Days") are both said there, and counted once (the second replaced the
    first, and "2 things to fix below" pointed at one message)."""
    from admit.errors import InvalidInput
    from admit.pages.deps import faults_of

    exc = InvalidInput(
        "2 problems.",
        field="lifetime_seconds",
        errors=[
            {"field": "lifetime_seconds", "message": "At most 365 days."},
            {"field": "never_expires", "message": "Choose a lifetime or never."},
        ],
    )
    faults = faults_of(exc, {"lifetime_seconds": "lifetime_days", "never_expires": "lifetime_days"})
    assert faults == {
        "error": None,
        "field_errors": {"lifetime_days": "At most 365 days. Choose a lifetime or never."},
        "error_field": "lifetime_days",
    }


class TestTheFormsAddressOpened:
    """A refused form is shown at the address it was sent to; opened with GET (the page
    reloaded, its address pasted), that address goes to the page the form was on (303), where it
    had said "Page not found" (405)."""

    def test_reloaded_it_goes_back_to_the_page_the_form_was_on(self, client, db):
        """A reload sends the page the form came from (``Referer``): Contacts, for a team."""
        pf = create_portal(db)
        page = _page(client, pf, "/contacts")
        r = client.post(f"/p/{pf.slug}/teams", data={"csrf_token": csrf_of(page.text), "name": " "})
        assert r.status_code == 422 and r.url.path == f"/p/{pf.slug}/teams"
        came_from = f"http://testserver/p/{pf.slug}/contacts?tab=teams"
        again = client.get(r.url.path, headers={"Referer": came_from}, follow_redirects=False)
        assert (again.status_code, again.headers["location"]) == (303, f"/p/{pf.slug}/contacts?tab=teams")
        assert client.get(r.url.path, headers={"Referer": came_from}).status_code == 200

    def test_pasted_it_goes_to_the_nearest_page_above(self, client, db):
        """No ``Referer`` (pasted, bookmarked), or one from another site or of no page: the
        nearest page above the address, else the start page; for the forms of teams and client
        groups, Contacts, where they are managed (it was User Management, the portal's start)."""
        pf = create_portal(db)
        _page(client, pf, "/settings")
        contacts = f"/p/{pf.slug}/contacts#teams"
        for path, referer, landing in (
            (f"/p/{pf.slug}/settings/logo", None, f"/p/{pf.slug}/settings"),
            (f"/p/{pf.slug}/teams", None, contacts),
            (f"/p/{pf.slug}/teams", "https://elsewhere.example/p/x/contacts", contacts),
            (f"/p/{pf.slug}/teams", f"http://testserver/p/{pf.slug}/teams", contacts),
            (f"/p/{pf.slug}/teams", "http://testserver/no-such-page", contacts),
            (f"/p/{pf.slug}/client-groups", None, contacts),
            ("/logout", None, "/"),
        ):
            headers = {"Referer": referer} if referer else {}
            r = client.get(path, headers=headers, follow_redirects=False)
            assert (r.status_code, r.headers.get("location")) == (303, landing), (path, referer)
        # A team's own forms (rename, delete) land there too.
        r = client.get(f"/p/{pf.slug}/teams/{uuid.uuid4()}/rename")
        assert r.status_code == 200 and r.url.path == f"/p/{pf.slug}/contacts", r.url

    def test_other_methods_and_the_api_are_still_refused(self, client, db):
        """Only a page's GET (or HEAD) is sent on: another method is the 405 page, and the API
        keeps its 405 problem."""
        pf = create_portal(db)
        assert client.put(f"/p/{pf.slug}/teams").status_code == 405
        r = client.get(f"/api/v1/portals/{pf.slug}/invitations/{uuid.uuid4()}/resend", headers=pf.headers())
        assert (r.status_code, r.json()["code"]) == (405, "method_not_allowed")


class TestTheInviteBox:
    def test_send_with_only_an_address_to_fix_sends_nothing_and_names_it(self, client, db):
        """Nobody to invite but an address to fix (a typo with its suggestion): nothing goes out,
        the box opens again on the text typed with the address named under the field. With
        someone to invite beside it, they are invited and the typo is left out, named with its
        reason in the report (it held the whole Send, where the API and the CLI invite the rest)."""
        from sqlalchemy import func, select

        from admit.invitations.models import Invitation

        pf = create_portal(db)
        page = _page(client, pf, "/users")
        r = client.post(
            f"/p/{pf.slug}/invitations",
            data={"csrf_token": csrf_of(page.text), "recipients": "bob@gmial.com"},
        )
        assert r.status_code == 422 and _opened(r.text, "invite-dialog"), r.text
        assert said_under(r.text, "recipients") == (
            "Fix or remove this first: bob@gmial.com: The domain looks mistyped. Did you mean bob@gmail.com?"
        )
        assert ">bob@gmial.com</textarea>" in r.text
        with db.unit_of_work() as session:
            assert session.scalar(select(func.count()).select_from(Invitation)) == 0
        r = client.post(
            f"/p/{pf.slug}/invitations",
            data={"csrf_token": csrf_of(page.text), "recipients": "ada@acme.com, bob@gmial.com"},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        report = client.get(r.headers["location"]).text
        box = html.unescape(report.split("data-report", 1)[1].split("</div>", 1)[0])
        assert "Invited: ada@acme.com." in box, box
        assert "bob@gmial.com</strong>: The domain looks mistyped. Did you mean bob@gmail.com?" in box, box
        with db.unit_of_work() as session:
            assert session.scalars(select(Invitation.recipient)).all() == ["ada@acme.com"]

    def test_a_duplicate_is_not_counted_as_a_person_skipped(self, client, db):
        """Ada listed twice is invited once: the report says so apart, not among the people
        skipped ("2 skipped: 1 already a member, 1 listed twice" read as if someone was left out)."""
        pf = create_portal(db)
        page = _page(client, pf, "/users")
        r = client.post(
            f"/p/{pf.slug}/invitations",
            data={
                "csrf_token": csrf_of(page.text),
                "recipients": f"ada@acme.com, Ada@acme.com, {pf.owner_email}",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        report = client.get(r.headers["location"]).text
        box = report.split("data-report", 1)[1].split("</div>", 1)[0]
        summary = re.search(r"<strong data-summary>(.*?)</strong>", box).group(1)
        assert summary == "1 invited as an internal user · 1 skipped: 1 already a member", box
        assert 'data-skip-code="duplicate"' not in box, box
        assert "Listed twice, counted once: Ada@acme.com." in html.unescape(box), box
