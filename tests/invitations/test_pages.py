"""The invitee's page (``/invite/{token}``) through the real app, without a browser."""

from __future__ import annotations

import re

from tests.factories import create_portal, csrf_of, invite, last_link, member_joins, said_under

PHONE = "+12025550173"


class TestSignedInRecipient:
    def test_phone_recipient_signed_in_sees_their_own_invitation(self, client, db, worker):
        """Someone invited by phone and signed in (from an earlier invitation) is recognised as the
        recipient of a new one: no "signed in as None" and no sign-out button, just Join."""
        first = create_portal(db, name="First Co", owner_email="owner@first.com")
        second = create_portal(db, name="Second Co", owner_email="owner@second.com")
        invite(db, first, [PHONE], user_type="client")
        worker.drain()
        token = last_link(db, PHONE)
        page = client.get(f"/invite/{token}")
        joined = client.post(
            f"/invite/{token}", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
        )
        assert joined.status_code == 303, joined.text

        invite(db, second, [PHONE], user_type="client")
        worker.drain()
        page = client.get(f"/invite/{last_link(db, PHONE)}")
        assert page.status_code == 200
        assert "None" not in page.text
        assert "Sign out and continue" not in page.text
        assert "Join Second Co" in page.text


class TestRefusedJoin:
    def test_a_weak_password_is_said_under_its_field(self, client, db, worker):
        """The tester on a phone: "one of the most common" stood on top of the card, away from the
        password it is about. It is said under the password field (which takes the focus), the
        name typed is kept, the password is not, and nothing is said on top."""
        pf = create_portal(db)
        invite(db, pf, ["rita@acme.com"])
        worker.drain()
        token = last_link(db, "rita@acme.com")
        page = client.get(f"/invite/{token}")
        refused = client.post(
            f"/invite/{token}",
            data={"csrf_token": csrf_of(page.text), "name": "Rita Ruiz", "password": "password123"},
        )
        assert refused.status_code == 422
        assert "most common" in said_under(refused.text, "password")
        assert re.search(r'<input id="password"[^>]*\bautofocus\b', refused.text)
        assert 'value="Rita Ruiz"' in refused.text and "password123" not in refused.text
        assert 'class="notice error"' not in refused.text

    def test_an_empty_or_short_password_is_said_under_its_field_not_by_the_browser(self, client, db, worker):
        """The tester on a phone: an empty or too-short password met the browser's own bubbles
        ("Please lengthen this text…"), not the words under the field every refusal of it uses.
        The form leaves the checks to the server (novalidate, as setting Admit up does), which
        says each under the field."""
        pf = create_portal(db)
        invite(db, pf, ["rita@acme.com"])
        worker.drain()
        token = last_link(db, "rita@acme.com")
        page = client.get(f"/invite/{token}")
        assert re.search(rf'<form method="post" action="[^"]*/invite/{token}" novalidate>', page.text)
        for typed, said in (("", "A password is required."), ("short", "at least 10 characters")):
            data = {"csrf_token": csrf_of(page.text), "name": "Rita Ruiz", "password": typed}
            refused = client.post(f"/invite/{token}", data=data)
            assert refused.status_code == 422, refused.text
            assert said in said_under(refused.text, "password"), typed


class TestPasswordHintForPhone:
    RULE = "not one of the most common passwords, nor your phone number."

    def test_a_phone_invitee_is_told_and_refused_their_phone_number_not_an_email(self, client, db, worker):
        """Someone invited by phone has no email address: accepting and their account say the
        rule as it is checked for them, their phone number, and the refusal says so too."""
        pf = create_portal(db)
        invite(db, pf, [PHONE])
        worker.drain()
        token = last_link(db, PHONE)
        page = client.get(f"/invite/{token}")
        assert self.RULE in page.text and "nor your email address" not in page.text
        refused = client.post(
            f"/invite/{token}", data={"csrf_token": csrf_of(page.text), "name": "Pat", "password": PHONE}
        )
        assert refused.status_code == 422
        assert said_under(refused.text, "password") == "The password must not be your phone number."
        written = client.post(  # the same number, written as people write it
            f"/invite/{token}",
            data={"csrf_token": csrf_of(page.text), "name": "Pat", "password": "(202) 555-0173"},
        )
        assert said_under(written.text, "password") == "The password must not be your phone number."
        joined = client.post(
            f"/invite/{token}",
            data={"csrf_token": csrf_of(page.text), "name": "Pat", "password": "a-good-password-42"},
            follow_redirects=False,
        )
        assert joined.status_code == 303, joined.text
        account = client.get("/me/account")
        assert self.RULE in account.text and "nor your email address" not in account.text
        # Someone with no email address is offered a reset by text message.
        assert "Choose a new one by email" not in account.text
        assert '/forgot-password">Choose a new one by text message</a>.' in account.text

    def test_a_phone_client_asked_for_a_password_later_is_told_their_phone_number(self, client, db, worker):
        """A passwordless client who joined by phone, signing in by a texted link once the portal
        asks clients for a password: the sign-in step that chooses one says the same."""
        pf = create_portal(db)
        member_joins(db, worker, pf, PHONE, user_type="client", password=None)
        body = {"client_sign_in": {"require_password": True}}
        r = client.patch(f"/api/v1/portals/{pf.slug}/settings", json=body, headers=pf.headers())
        assert r.status_code == 200, r.text
        # The next sign-in, by a link texted to them.
        assert client.post("/api/v1/auth/sign-in-link", json={"email": PHONE}).status_code == 202
        worker.drain()
        signed = client.post(f"/api/v1/auth/sign-in-link/{last_link(db, PHONE, 'sign_in')}")
        assert signed.status_code == 200, signed.text
        gated = client.get(f"/p/{pf.slug}", follow_redirects=False)
        assert "/sign-in/steps" in gated.headers["location"], gated.headers
        steps = client.get(gated.headers["location"])
        assert self.RULE in steps.text and "nor your email address" not in steps.text
        # The setting is for clients: the step says so (not "asks everyone").
        assert "Acme Inc asks clients to sign in with a password." in steps.text, steps.text


class TestDeadLink:
    """The tester: expired, withdrawn, replaced and used links all read "No longer valid — This
    invitation link can no longer be used…". Each says its case, who invited them to which
    portal, and the next step; an unknown link still gets the one answer that says nothing."""

    def test_each_case_says_itself_and_its_next_step(self, client, db, worker):
        from datetime import timedelta

        from admit.flows import invitations as invitations_flow
        from admit.invitations import service as invitations_service
        from admit.kit import clock
        from tests.factories import actor_for

        pf = create_portal(db)
        people = ["used@client.org", "gone@client.org", "late@client.org", "again@client.org"]
        invited = {inv.recipient: inv.id for inv in invite(db, pf, people, user_type="client").invited}
        worker.drain()
        links = {who: last_link(db, who) for who in people}
        page = client.get(f"/invite/{links['used@client.org']}")
        client.post(f"/invite/{links['used@client.org']}", data={"csrf_token": csrf_of(page.text)})
        client.cookies.clear()
        with db.unit_of_work() as session:
            actor = actor_for(session, pf.slug, pf.owner_email)
            invitations_service.revoke(session, actor, invited["gone@client.org"])
        with clock.travel(timedelta(minutes=2)), db.unit_of_work() as session:
            invitations_flow.resend(
                session, actor_for(session, pf.slug, pf.owner_email), invited["again@client.org"]
            )

        def dead(who: str, days: int = 0) -> str:
            with clock.travel(timedelta(days=days, minutes=3)):
                r = client.get(f"/invite/{links[who]}")
            assert r.status_code == 410, r.text
            return r.text

        used = dead("used@client.org")
        assert "<h1>Invitation already used</h1>" in used and "was already used" in used
        assert f'href="/login?next=/p/{pf.slug}">Sign in</a>' in used
        gone = dead("gone@client.org")
        # Said as an invitee says it (the tester: "withdrawn" where admins say Revoked), one word.
        assert "<h1>Invitation cancelled</h1>" in gone and "to join Acme Inc was cancelled. Ask" in gone
        assert "withdrawn" not in gone and "by the portal" not in gone
        assert ">Sign in</a>" not in gone
        late = dead("late@client.org", days=11)
        assert "<h1>Invitation expired</h1>" in late and "expired on" in late
        assert "Request a new invitation</button>" in late  # its next step (its page asks for one)
        again = dead("again@client.org")
        assert "<h1>Invitation replaced</h1>" in again and "Use the link in the newest email." in again
        for text in (used, gone, late, again):
            assert "Acme Inc" in text and "can no longer be used" not in text
            assert '<a class="brand" href="/">Acme Inc</a>' in text  # the portal's look
        unknown = client.get("/invite/" + "x" * 43)
        assert unknown.status_code == 410 and "can no longer be used" in unknown.text
        # Whoever holds it may have been invited by phone: their message is a text.
        assert "look for a newer email or text message" in unknown.text
        assert "<h1>No longer valid</h1>" in unknown.text and "data-case" not in unknown.text

    def test_a_used_link_does_not_ask_whoever_is_signed_in_to_sign_in(self, client, db, worker):
        """Someone signed in (not who joined with it) opening a used link is not told "If you
        joined, sign in": they are signed in; what is left to say is whom to ask."""
        from tests.factories import PASSWORD, active_member, login

        pf = create_portal(db)
        invite(db, pf, ["used@client.org"], user_type="client")
        worker.drain()
        link = last_link(db, "used@client.org")
        page = client.get(f"/invite/{link}")
        client.post(f"/invite/{link}", data={"csrf_token": csrf_of(page.text)})
        client.cookies.clear()
        active_member(db, pf, "rita@client.org", user_type="client", password=PASSWORD)
        login(client, "rita@client.org")
        r = client.get(f"/invite/{link}")
        assert r.status_code == 410, r.text
        assert "was already used." in r.text and "sign in" not in r.text.split("<main", 1)[1].lower(), r.text
        assert "for a new invitation if you still mean to join." in r.text


class TestAPasswordTheEmailDidNotMention:
    """The tester: Carl's email said "No password is needed: the link signs you in."; the portal
    then started requiring a password for clients, and his page asked "Choose a password" with no
    word of why. A client asked for a password is told the portal asks it, and, when the sign-in
    policy changed after the email went, that the email may say otherwise."""

    ASKS = "Acme Inc asks its clients to choose a password."
    SINCE = "its sign-in policy changed after your invitation was sent"

    def test_the_page_says_why_a_client_is_asked_for_a_password(self, client, db, worker):
        from datetime import timedelta

        from admit.kit import clock
        from tests.auth.test_gate import set_policy

        pf = create_portal(db)
        invite(db, pf, ["carl@client.org", PHONE], user_type="client")
        worker.drain()
        carl, pat = last_link(db, "carl@client.org"), last_link(db, PHONE)
        assert self.ASKS not in client.get(f"/invite/{carl}").text  # no password asked: nothing said
        with clock.travel(timedelta(minutes=1)):
            set_policy(client, pf, {"client_require_password": True})
        with clock.travel(timedelta(minutes=2)):
            invite(db, pf, ["dora@client.org"], user_type="client")
            invite(db, pf, ["ian@acme.com"], role="member")
            worker.drain()
            page = client.get(f"/invite/{carl}").text
            assert "Choose a password" in page and self.ASKS in page and self.SINCE in page
            assert "Your email may say no password is needed" in page
            # Pat was invited by a text message, which says nothing of a password: no "email" to
            # take back, and nothing to take back at all.
            texted = client.get(f"/invite/{pat}").text
            assert "Choose a password" in texted and self.ASKS in texted
            assert self.SINCE not in texted and "email" not in texted.split("<main", 1)[1].lower()
            dora = client.get(f"/invite/{last_link(db, 'dora@client.org')}").text
            assert self.ASKS in dora and self.SINCE not in dora  # her email said a password is asked
            ian = client.get(f"/invite/{last_link(db, 'ian@acme.com')}").text
            assert "Choose a password" in ian and self.ASKS not in ian  # internal users always have one

    def test_a_password_sent_after_the_portal_stopped_asking_is_refused_on_top(self, client, db, worker):
        """The page opened while the portal asked its clients for a password, sent after it
        stopped asking: refused (accepting sets no password the portal does not ask for), said
        on top as the field is gone, and the page then joins with the link alone."""
        from tests.auth.test_gate import set_policy

        pf = create_portal(db)
        set_policy(client, pf, {"client_require_password": True})
        invite(db, pf, ["carl@client.org"], user_type="client")
        worker.drain()
        carl = last_link(db, "carl@client.org")
        page = client.get(f"/invite/{carl}").text
        assert "Choose a password" in page
        set_policy(client, pf, {"client_require_password": False})
        data = {"csrf_token": csrf_of(page), "name": "Carl", "password": "a-good-password-42"}
        refused = client.post(f"/invite/{carl}", data=data)
        assert refused.status_code == 422, refused.text
        notice = re.search(r'<div class="notice error" role="alert">([^<]*)</div>', refused.text)
        assert (
            notice and notice.group(1) == "This portal signs clients in by email link; no password is needed."
        )
        assert 'id="password"' not in refused.text
        data = {"csrf_token": csrf_of(refused.text), "name": "Carl"}
        joined = client.post(f"/invite/{carl}", data=data, follow_redirects=False)
        assert joined.status_code == 303, joined.text


class TestOneWording:
    """The tester: the email and the invitation's page said "as an internal user (admin)", the
    welcome "You joined as an admin", and the button read "Accept invitation" in the email but
    "Join …" or "Create account and join" on the page. The invitee reads one wording of what they
    join as (``policy.invited_as``) and one button, the email's."""

    def _html(self, client, address: str) -> tuple[str, str]:
        sent = client.get("/api/v1/dev/messages", params={"to": address}).json()["items"][0]
        return sent["text"], re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", sent["html"]))

    def test_an_internal_user_and_a_client(self, client, db, worker):
        import html as html_module

        pf = create_portal(db)
        invite(db, pf, ["ada@acme.com"], role="admin")
        invite(db, pf, ["cleo@client.org"], user_type="client")
        worker.drain()
        for address, said, joined in (
            ("ada@acme.com", "as an internal user (Admin).", "You joined as an internal user (Admin)."),
            ("cleo@client.org", "as a client.", "You joined as a client."),
        ):
            client.cookies.clear()
            text, email = self._html(client, address)
            assert said in text and said in email, (text, email)
            token = last_link(db, address)
            page = client.get(f"/invite/{token}")
            shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html_module.unescape(page.text)))
            assert said in shown, shown
            buttons = re.findall(r'<button class="btn primary" type="submit">([^<]*)</button>', page.text)
            assert buttons == ["Accept invitation"], buttons
            data = {"csrf_token": csrf_of(page.text), "name": "Someone"}
            if 'id="password"' in page.text:  # the internal user's: a client's page asks none
                data["password"] = "a-good-password-42"
            landed = client.post(f"/invite/{token}", data=data)
            assert f"Welcome to Acme Inc! {joined}" in html_module.unescape(landed.text), address
