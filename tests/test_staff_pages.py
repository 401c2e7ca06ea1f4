"""Pages for the portal's own people (internal users) answer a client one way: 403 "Not
allowed" with the reason and a way home, never a silent trip to their home page."""

from __future__ import annotations

from tests.factories import PASSWORD, active_member, create_portal, login


class TestStaffPagesToAClient:
    def test_user_management_and_contacts_say_not_allowed(self, client, db):
        """/users and /contacts answer a client as /audit and /settings do: the 403 page."""
        pf = create_portal(db)
        active_member(db, pf, "cleo@example.org", user_type="client", password=PASSWORD)
        login(client, "cleo@example.org")
        for page in ("users", "users?tab=clients", "contacts", "audit", "settings"):
            r = client.get(f"/p/{pf.slug}/{page}", follow_redirects=False)
            assert r.status_code == 403, (page, r.status_code, r.headers.get("location"))
            assert "<h1>Not allowed</h1>" in r.text, page
            assert '<a href="/">Go to the start page</a>' in r.text, page  # the way home
        said = client.get(f"/p/{pf.slug}/users").text
        assert "Only internal users can see the people in this portal." in said
        assert "Only internal users can keep contacts." in client.get(f"/p/{pf.slug}/contacts").text

    def test_inviting_is_refused_in_words_of_inviting(self, client, db):
        """A client posting the Invite box's form is told it is about inviting, not about
        seeing the people (the page it would have shown)."""
        pf = create_portal(db)
        active_member(db, pf, "cleo@example.org", user_type="client", password=PASSWORD)
        csrf = login(client, "cleo@example.org")
        for user_type in ("client", "internal"):
            r = client.post(
                f"/p/{pf.slug}/invitations",
                data={"csrf_token": csrf, "recipients": "sam@example.org", "user_type": user_type},
            )
            assert r.status_code == 403, r.text
            assert "Only internal users can invite clients." in r.text
            assert "see the people" not in r.text

    def test_their_home_still_opens(self, client, db):
        """The client's own page is theirs: 200."""
        pf = create_portal(db)
        active_member(db, pf, "cleo@example.org", user_type="client", password=PASSWORD)
        login(client, "cleo@example.org")
        assert client.get(f"/p/{pf.slug}").status_code == 200
