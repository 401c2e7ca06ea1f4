"""The invitee's page (``/invite/{token}``) through the real app, without a browser."""

from __future__ import annotations

import re

from tests.factories import create_portal, csrf_of, invite, last_link, said_under

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
