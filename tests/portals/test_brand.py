"""The portal's brand (Settings): a colour and a logo, through the service, the API and the pages.

Colour: validated ``#rrggbb``; the button text is white or near-black by WCAG luminance. Logo:
PNG or JPEG by its magic bytes, at most 256 KB, kept in the database and served publicly at a
path that names its hash. Only owners and admins change either (``policy.PORTAL_SETTINGS``).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from sqlalchemy import select

import admit
from admit.audit.models import AuditEvent
from admit.errors import InvalidInput
from admit.kit import colour
from admit.kit.brand import DEFAULT_COLOR, Brand
from admit.portals import service as portals_service
from admit.portals.models import PortalLogo
from tests.factories import create_portal, csrf_of, invite, last_link, login, member_joins, said_under
from tests.portals.images import GIF, JPEG, SVG, png


def api_portal(client, pf) -> dict:
    r = client.get(f"/api/v1/portals/{pf.slug}", headers=pf.headers())
    assert r.status_code == 200, r.text
    return r.json()


def upload(client, pf, data: bytes, *, filename="logo.png", content_type="image/png", headers=None):
    return client.put(
        f"/api/v1/portals/{pf.slug}/logo",
        files={"logo": (filename, data, content_type)},
        headers=pf.headers() if headers is None else headers,
    )


def path_of(url: str) -> str:
    """The path of an absolute URL built from the public URL (the test client's own host)."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


class TestColour:
    def test_contrast_follows_wcag(self):
        """Black on white is 21:1, a colour on itself 1:1."""
        assert colour.contrast("#000000", "#ffffff") == pytest.approx(21.0)
        assert colour.contrast("#1d4ed8", "#1d4ed8") == pytest.approx(1.0)

    @pytest.mark.parametrize(
        ("background", "text"),
        [
            ("#1d4ed8", colour.LIGHT_TEXT),  # blue
            ("#111827", colour.LIGHT_TEXT),  # near-black
            ("#b91c1c", colour.LIGHT_TEXT),  # red
            ("#facc15", colour.DARK_TEXT),  # yellow
            ("#ffffff", colour.DARK_TEXT),
            ("#a3e635", colour.DARK_TEXT),  # lime
        ],
    )
    def test_button_text_is_the_one_that_reads(self, background, text):
        """White on dark colours, near-black on light ones: whichever contrasts more."""
        assert colour.text_on(background) == text
        other = colour.DARK_TEXT if text == colour.LIGHT_TEXT else colour.LIGHT_TEXT
        assert colour.contrast(background, text) > colour.contrast(background, other)

    def test_a_pale_colour_fills_buttons_but_not_links(self):
        """Links keep a readable colour on white when the brand colour is too pale for text."""
        pale = Brand.build(name="Acme", color="#facc15")
        assert pale.color == "#facc15" and pale.link_color != "#facc15"
        assert colour.contrast(pale.link_color, "#ffffff") >= colour.READABLE
        dark = Brand.build(name="Acme", color="#1e3a8a")
        assert dark.link_color == "#1e3a8a"

    def test_a_pale_colour_keeps_a_visible_button_edge(self):
        """A button filled with a colour that hardly stands out from the white page gets the
        same hue darker as its outline; a colour that stands out is its own edge."""
        for pale in ("#fef9c3", "#ffffff", "#ffff00", "#ecfdf5"):
            edge = Brand.build(name="Acme", color=pale).edge_color
            assert edge != pale and colour.contrast(edge, "#ffffff") >= colour.VISIBLE, (pale, edge)
        assert Brand.build(name="Acme", color="#1e3a8a").edge_color == "#1e3a8a"

    def test_the_default_is_the_pages_own_accent(self):
        """No colour set: emails and pages draw in one indigo (admit.css's --accent)."""
        css = (Path(admit.__file__).parent / "pages/static/admit.css").read_text()
        assert f"--accent: {DEFAULT_COLOR};" in css
        favicon = (Path(admit.__file__).parent / "pages/static/favicon.svg").read_text()
        assert f'fill="{DEFAULT_COLOR}"' in favicon
        assert Brand.build(name="Acme").color == DEFAULT_COLOR

    @pytest.mark.parametrize(
        ("given", "stored"),
        [
            ("#1D4ED8", "#1d4ed8"),
            (" #00aa11 ", "#00aa11"),
            ("", None),
            ("#43C", "#4433cc"),
            ("1d4ed8", "#1d4ed8"),
        ],
    )
    def test_accepted_forms(self, given, stored):
        """``#rrggbb`` in any case (kept lower case), ``#rgb`` and the six digits without ``#``
        as people type them; empty means no colour."""
        assert portals_service.check_brand_color(given) == stored

    @pytest.mark.parametrize("given", ["blue", "#12345", "#1d4e", "#1d4ed8ff", "#ggg000", "rgb(0,0,0)"])
    def test_anything_else_is_refused_naming_the_field(self, given):
        with pytest.raises(InvalidInput) as caught:
            portals_service.check_brand_color(given)
        assert caught.value.field == "brand_color"
        assert "brand colour" in caught.value.message


class TestColourApi:
    def test_set_read_and_clear(self, client, db):
        """PATCH sets the colour (normalised), GET shows it, null removes it; each change audited."""
        pf = create_portal(db)
        assert api_portal(client, pf)["brand_color"] is None
        assert api_portal(client, pf)["logo_url"] is None
        r = client.patch(f"/api/v1/portals/{pf.slug}", json={"brand_color": "#1D4ED8"}, headers=pf.headers())
        assert r.status_code == 200, r.text
        assert r.json()["brand_color"] == "#1d4ed8"
        assert api_portal(client, pf)["brand_color"] == "#1d4ed8"
        r = client.patch(f"/api/v1/portals/{pf.slug}", json={"brand_color": None}, headers=pf.headers())
        assert r.status_code == 200 and r.json()["brand_color"] is None
        with db.unit_of_work() as session:
            details = [
                e.detail
                for e in session.scalars(
                    select(AuditEvent)
                    .where(AuditEvent.action == "portal.settings_changed")
                    .order_by(AuditEvent.created_at)
                )
            ]
        assert details == [{"brand_color": [None, "#1d4ed8"]}, {"brand_color": ["#1d4ed8", None]}]

    def test_other_settings_leave_the_colour_alone(self, client, db):
        pf = create_portal(db)
        client.patch(f"/api/v1/portals/{pf.slug}", json={"brand_color": "#00aa11"}, headers=pf.headers())
        r = client.patch(
            f"/api/v1/portals/{pf.slug}", json={"client_require_password": True}, headers=pf.headers()
        )
        assert r.json()["brand_color"] == "#00aa11"

    def test_a_bad_colour_is_a_problem_naming_the_field(self, client, db):
        pf = create_portal(db)
        r = client.patch(f"/api/v1/portals/{pf.slug}", json={"brand_color": "blue"}, headers=pf.headers())
        assert r.status_code == 422
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["code"] == "invalid_input" and body["field"] == "brand_color"
        assert api_portal(client, pf)["brand_color"] is None

    def test_every_bad_setting_is_a_problem_of_its_own_and_nothing_changes(self, client, db):
        pf = create_portal(db)
        before = api_portal(client, pf)
        r = client.patch(
            f"/api/v1/portals/{pf.slug}",
            json={"brand_color": "blue", "time_zone": "Mars/Olympus", "invitation_reminders": 1},
            headers=pf.headers(),
        )
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["time_zone", "brand_color"]
        assert api_portal(client, pf) == before  # the good value beside them is not saved either

    def test_the_ranges_are_said_with_every_other_fault(self, client, db):
        """A lifetime out of range, a bad colour, an unknown product and time zone: all four in
        ``errors``, where the schema's own range refused the request before the rest was checked,
        naming only ``invitation_ttl_seconds``; nothing changes."""
        pf = create_portal(db)
        before = api_portal(client, pf)
        r = client.patch(
            f"/api/v1/portals/{pf.slug}",
            json={
                "invitation_ttl_seconds": 60,
                "brand_color": "#12345",
                "enabled_products": ["x"],
                "time_zone": "Mars/Base",
            },
            headers=pf.headers(),
        )
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == [
            "invitation_ttl_seconds",
            "time_zone",
            "enabled_products",
            "brand_color",
        ], r.json()
        assert (
            r.json()["errors"][0]["message"] == "The invitation lifetime must be between 1 hour and 30 days."
        )
        assert api_portal(client, pf) == before

    def test_a_sign_in_policys_range_is_named_as_the_request_names_it(self, client, db):
        """``client_sign_in.sign_in_link_minutes`` out of range beside an unknown time zone and a
        bad budget: all three, each under the name the request gave it."""
        pf = create_portal(db)
        r = client.patch(
            f"/api/v1/portals/{pf.slug}",
            json={
                "client_sign_in": {"sign_in_link_minutes": 1},
                "time_zone": "Mars/Base",
                "sms_daily_budget": -1,
            },
            headers=pf.headers(),
        )
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == [
            "time_zone",
            "client_sign_in.sign_in_link_minutes",
            "sms_daily_budget",
        ], r.json()

    @staticmethod
    def _refused(client, pf, body: dict, path: str = "") -> dict:
        """PATCH ``body`` to the portal (``path``: ``/settings``): 422, and nothing changed."""
        before = api_portal(client, pf)
        r = client.patch(f"/api/v1/portals/{pf.slug}{path}", json=body, headers=pf.headers())
        assert r.status_code == 422, r.text
        assert api_portal(client, pf) == before  # a good value beside the faults is not saved either
        return r.json()

    def test_a_value_of_the_wrong_type_is_said_with_the_ranges(self, client, db):
        """Text for a number (``client_sign_in.sign_in_link_minutes: "abc"``) beside a lifetime
        out of range and an unknown time zone: all of them, each under its field, where the
        parsing's fault alone had been said; nothing changes."""
        body = {
            "client_sign_in": {"sign_in_link_minutes": "abc", "require_password": True},
            "invitation_ttl_seconds": 10,
            "time_zone": "Mars/Base",
            "invitation_reminders": "often",
        }
        refused = self._refused(client, create_portal(db), body, "/settings")
        said = {e["field"]: e["message"] for e in refused["errors"]}
        assert said == {
            "invitation_ttl_seconds": "The invitation lifetime must be between 1 hour and 30 days.",
            "time_zone": said["time_zone"],
            "client_sign_in.sign_in_link_minutes": "A whole number.",
            "invitation_reminders": "A whole number.",
        }, refused
        assert refused["field"] == "invitation_ttl_seconds"

    def test_only_a_wrong_type_is_still_refused(self, client, db):
        """A wrong type (and an input it does not take) with nothing else wrong: 422 naming
        each, and the good value beside them is not saved."""
        body = {"invitation_reminders": "often", "time_zone": "Europe/Paris", "nope": 1}
        refused = self._refused(client, create_portal(db), body)
        assert {e["field"] for e in refused["errors"]} == {"invitation_reminders", "nope"}

    def test_the_document_still_shows_the_ranges(self, client):
        """The ranges left the schema's checks, not the OpenAPI document."""
        schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
        ttl = schemas["PortalUpdate"]["properties"]["invitation_ttl_seconds"]
        assert (ttl["minimum"], ttl["maximum"]) == (3600, 30 * 24 * 3600)
        assert schemas["WebhookCreate"]["properties"]["description"]["maxLength"] == 200


class TestLogo:
    def test_a_png_is_stored_and_served_publicly(self, client, db):
        """The logo's URL names its hash; anyone can fetch it, with its type, nosniff and a long cache."""
        pf = create_portal(db)
        image = png()
        r = upload(client, pf, image)
        assert r.status_code == 200, r.text
        url = r.json()["logo_url"]
        assert url.startswith("http") and f"/brand/{pf.slug}/logo-" in url and url.endswith(".png")
        assert api_portal(client, pf)["logo_url"] == url

        client.cookies.clear()
        served = client.get(path_of(url))
        assert served.status_code == 200
        assert served.content == image
        assert served.headers["content-type"] == "image/png"
        assert served.headers["x-content-type-options"] == "nosniff"
        assert "immutable" in served.headers["cache-control"]

    def test_a_jpeg_is_served_as_one(self, client, db):
        pf = create_portal(db)
        url = upload(client, pf, JPEG, filename="logo.jpg", content_type="image/jpeg").json()["logo_url"]
        assert url.endswith(".jpg")
        served = client.get(path_of(url))
        assert served.headers["content-type"] == "image/jpeg" and served.content == JPEG

    def test_too_big_is_refused_naming_the_field(self, client, db):
        pf = create_portal(db)
        big = png() + b"\x00" * (portals_service.LOGO_MAX_BYTES)
        r = upload(client, pf, big)
        assert r.status_code == 422
        assert r.json()["field"] == "logo" and "256 KB" in r.json()["detail"]
        assert api_portal(client, pf)["logo_url"] is None

    def test_just_under_the_limit_is_accepted(self, client, db):
        pf = create_portal(db)
        image = png()
        r = upload(client, pf, image + b"\x00" * (portals_service.LOGO_MAX_BYTES - len(image)))
        assert r.status_code == 200, r.text

    @pytest.mark.parametrize(
        ("data", "filename", "content_type"),
        [
            (SVG, "logo.svg", "image/svg+xml"),
            (SVG, "logo.png", "image/png"),  # named and typed as a PNG, but it is not one
            (GIF, "logo.png", "image/png"),
            (b"", "logo.png", "image/png"),
        ],
    )
    def test_anything_but_png_or_jpeg_is_refused_by_its_bytes(self, client, db, data, filename, content_type):
        pf = create_portal(db)
        r = upload(client, pf, data, filename=filename, content_type=content_type)
        assert r.status_code == 422
        assert r.json()["code"] == "invalid_input" and r.json()["field"] == "logo"
        with db.unit_of_work() as session:
            assert session.scalars(select(PortalLogo)).all() == []

    def test_a_new_logo_is_a_new_url_and_the_old_one_leads_to_it(self, client, db):
        pf = create_portal(db)
        first = upload(client, pf, png(rgb=(0, 0, 0))).json()["logo_url"]
        second = upload(client, pf, png(rgb=(255, 0, 0))).json()["logo_url"]
        assert first != second
        r = client.get(path_of(first), follow_redirects=False)
        assert r.status_code == 307 and r.headers["location"] == path_of(second)

    def test_remove(self, client, db):
        """DELETE removes it: no URL, and its path is gone; the change is audited."""
        pf = create_portal(db)
        url = upload(client, pf, png()).json()["logo_url"]
        r = client.delete(f"/api/v1/portals/{pf.slug}/logo", headers=pf.headers())
        assert (r.status_code, r.content) == (204, b"")
        assert client.get(f"/api/v1/portals/{pf.slug}", headers=pf.headers()).json()["logo_url"] is None
        assert client.get(path_of(url)).status_code == 404
        with db.unit_of_work() as session:
            logos = [
                e.detail["logo"]
                for e in session.scalars(select(AuditEvent).order_by(AuditEvent.created_at))
                if e.action == "portal.settings_changed"
            ]
        key = url.rsplit("logo-", 1)[1]
        assert logos == [[None, key], [key, None]]


class TestWhoMayChangeTheBrand:
    @pytest.mark.parametrize("user_type", ["internal", "client"])
    def test_members_and_clients_may_not(self, client, db, worker, user_type):
        """An internal member or a client is refused (403) the colour, the logo and its removal."""
        pf = create_portal(db)
        upload(client, pf, png())
        member_joins(db, worker, pf, "mia@acme.com", user_type=user_type)
        csrf = login(client, "mia@acme.com")
        session_headers = {"X-CSRF-Token": csrf}
        r = client.patch(
            f"/api/v1/portals/{pf.slug}", json={"brand_color": "#000000"}, headers=session_headers
        )
        assert r.status_code == 403 and r.json()["code"] == "permission_denied"
        assert upload(client, pf, JPEG, headers=session_headers).status_code == 403
        assert client.delete(f"/api/v1/portals/{pf.slug}/logo", headers=session_headers).status_code == 403
        portal = api_portal(client, pf)
        assert portal["brand_color"] is None and portal["logo_url"].endswith(".png")

    def test_an_admin_may(self, client, db, worker):
        pf = create_portal(db)
        member_joins(db, worker, pf, "ada@acme.com", role="admin")
        csrf = login(client, "ada@acme.com")
        r = client.patch(
            f"/api/v1/portals/{pf.slug}", json={"brand_color": "#000000"}, headers={"X-CSRF-Token": csrf}
        )
        assert r.status_code == 200 and r.json()["brand_color"] == "#000000"


class TestPages:
    def settings_page(self, client, pf):
        login(client, pf.owner_email, password="owner-password-123")
        page = client.get(f"/p/{pf.slug}/settings")
        assert page.status_code == 200
        return page

    def test_each_sign_in_link_field_says_its_range_under_itself(self, client, db):
        """Clients' and internal users' sign-in link lifetimes each have the range under the field
        (it stood under the internal one only), as the service checks it."""
        page = self.settings_page(client, create_portal(db))
        said = "From 5 minutes to 7 days (10,080 minutes); 15 by default."
        for who in ("client", "internal"):
            field = re.search(rf'<input id="{who}_sign_in_link_minutes"[^>]*>', page.text).group(0)
            assert (
                'min="5" max="10080"' in field
                and f'aria-describedby="{who}_sign_in_link_minutes_hint"' in field
            )
            assert f'<div class="hint" id="{who}_sign_in_link_minutes_hint">{said}</div>' in page.text

    def test_requiring_two_step_verification_says_who_will_be_asked_to_set_it_up(self, client, db):
        """Turning on "Require two-step verification for internal users" says how many active
        internal users have no authenticator app yet, and whether that includes you: each sets
        one up at their next sign-in (clients, and those with an app, are not counted)."""
        from admit.auth import second_factor
        from admit.kit import clock
        from admit.members.models import User
        from tests.factories import active_member

        pf = create_portal(db)
        for email, kind in (("ada@acme.com", "internal"), ("bo@acme.com", "internal"), ("cy@x.io", "client")):
            active_member(db, pf, email, user_type=kind, role="member" if kind == "internal" else "client")
        with db.unit_of_work() as session:  # Bo has an app already
            bo = session.scalar(select(User).where(User.email == "bo@acme.com"))
            second_factor.begin(session, bo, issuer="Acme Inc")
            second_factor._factor(session, bo.id).confirmed_at = clock.now()
        page = self.settings_page(client, pf)
        form = {"csrf_token": csrf_of(page.text), "name": "Acme Inc", "invitation_ttl_hours": "168"}
        r = client.post(f"/p/{pf.slug}/settings", data={**form, "internal_require_2fa": "on"})
        assert r.status_code == 200, r.text
        assert (
            "Settings saved. 2 internal users, you among them, have not set up two-step verification: "
            "each is asked to at their next sign-in." in r.text
        ), r.text
        # The notice leads to them: User Management, the active internal users without it.
        link = re.search(r'<div class="notice" role="status">[^<]*<a href="([^"]+)">([^<]+)</a>', r.text)
        assert link, r.text
        assert link.group(1) == f"/p/{pf.slug}/users?tab=internal&amp;status=active&amp;two_step=not_set_up"
        assert link.group(2) == "Show them in User Management"
        listed = client.get(html.unescape(link.group(1))).text
        assert "ada@acme.com" in listed and "bo@acme.com" not in listed and "cy@x.io" not in listed
        again = client.post(f"/p/{pf.slug}/settings", data={**form, "internal_require_2fa": "on"})
        assert "Settings saved." in again.text and "have not set up" not in again.text  # no change: no count
        # The API's answer counts them with each policy: who it asks (or would ask) to set one up.
        api = client.patch(
            f"/api/v1/portals/{pf.slug}/settings",
            json={"client_sign_in": {"require_two_factor": True}},
            headers=pf.headers(),
        )
        assert api.status_code == 200, api.text
        assert (
            api.json()["internal_sign_in"]["without_two_factor"],
            api.json()["client_sign_in"]["without_two_factor"],
        ) == (2, 1)

    def test_the_portal_is_renamed_in_settings_and_keeps_its_address(self, client, db):
        """A typo at set-up is not for ever: Settings renames the portal (the API too); its
        address stays, the top bar and the audit log say the new name; a blank name is refused
        with the other faults of the form."""
        pf = create_portal(db)
        page = self.settings_page(client, pf)
        assert 'id="name" name="name"' in page.text and f"/p/{pf.slug}, stays as it is" in page.text
        form = {
            "csrf_token": csrf_of(page.text),
            "invitation_ttl_hours": "168",
            "enabled_products": ["messaging"],
        }
        blank = client.post(f"/p/{pf.slug}/settings", data={**form, "name": " ", "invitation_ttl_hours": "0"})
        assert blank.status_code == 422 and "2 things to fix below." in blank.text
        assert said_under(blank.text, "name") == "The portal needs a name."
        # An emptied field is sent as "": refused too, never taken for "left out" (unchanged).
        empty = client.post(f"/p/{pf.slug}/settings", data={**form, "name": "", "invitation_ttl_hours": "0"})
        assert empty.status_code == 422 and "2 things to fix below." in empty.text, empty.text
        assert said_under(empty.text, "name") == "The portal needs a name."
        r = client.post(f"/p/{pf.slug}/settings", data={**form, "name": "  Acme Widgets  "})
        assert r.status_code == 200 and r.url.path == f"/p/{pf.slug}/settings", r.text
        assert "Settings saved." in r.text and 'value="Acme Widgets"' in r.text
        assert api_portal(client, pf)["name"] == "Acme Widgets"
        events = client.get(f"/api/v1/portals/{pf.slug}/audit-events?category=settings", headers=pf.headers())
        assert any(
            "renamed the portal “Acme Inc” to “Acme Widgets”" in e["summary"] for e in events.json()["items"]
        )
        api = client.patch(f"/api/v1/portals/{pf.slug}", json={"name": ""}, headers=pf.headers())
        assert (api.status_code, api.json()["field"]) == (422, "name"), api.text
        api = client.patch(f"/api/v1/portals/{pf.slug}", json={"name": "Acme"}, headers=pf.headers())
        assert (api.status_code, api.json()["name"], api.json()["slug"]) == (200, "Acme", pf.slug)

    def test_the_browser_leaves_every_fault_to_the_server(self, client, db):
        """The form is ``novalidate`` (an empty name or a lifetime of 0 got the browser's "Please
        fill out this field." bubble, where every other field's fault is said under it): each
        fault is the server's, under its field, what was typed kept. A number that is not a whole
        one (1.5 hours, which the browser let through once it no longer checks) too, not the error
        page."""
        pf = create_portal(db)
        page = self.settings_page(client, pf)
        assert re.search(r'<form method="post" class="card" action="[^"]*/settings" novalidate>', page.text)
        form = {"csrf_token": csrf_of(page.text), "enabled_products": ["messaging"], "name": "Acme Inc"}
        r = client.post(
            f"/p/{pf.slug}/settings",
            data={**form, "invitation_ttl_hours": "1.5", "sms_daily_budget": "lots", "name": ""},
        )
        assert r.status_code == 422, r.text
        assert said_under(r.text, "name") == "The portal needs a name."
        assert said_under(r.text, "invitation_ttl_hours") == "Give a whole number of hours."
        assert said_under(r.text, "sms_daily_budget") == "Give a whole number of texts."
        assert re.search(r'<input id="invitation_ttl_hours" [^>]*value="1.5"', r.text)
        assert re.search(r'<input id="sms_daily_budget" [^>]*value="lots"', r.text)
        assert "3 things to fix below." in r.text
        assert api_portal(client, pf)["invitation_ttl_seconds"] == 168 * 3600

    def test_an_emptied_number_is_refused_under_its_field_and_keeps_its_setting(self, client, db):
        """A number field emptied and sent (the page marks them required; an older browser or a
        script may still send one empty) is refused under its field in the words of its range,
        as a number out of it is, and nothing changes: never the saved value (or the form's
        default) put back without a word (the client link's lifetime was, the internal one's 1
        refused beside it)."""
        pf = create_portal(db)
        page = self.settings_page(client, pf)
        for field in (  # (the reminders are a choice from a list)
            "invitation_ttl_hours",
            "client_sign_in_link_minutes",
            "internal_sign_in_link_minutes",
            "sms_daily_budget",
        ):
            assert re.search(rf'<input id="{field}" [^>]*\brequired\b', page.text), field
        form = {"csrf_token": csrf_of(page.text), "enabled_products": ["messaging"], "name": "Acme Inc"}
        changed = {
            "invitation_ttl_hours": "72",
            "invitation_reminders": "1",
            "client_sign_in_link_minutes": "30",
            "internal_sign_in_link_minutes": "45",
            "sms_daily_budget": "7",
        }
        r = client.post(f"/p/{pf.slug}/settings", data={**form, **changed})
        assert "Settings saved." in r.text, r.text
        r = client.post(f"/p/{pf.slug}/settings", data={**form, **dict.fromkeys(changed, "")})
        assert r.status_code == 422 and 'value="None"' not in r.text
        assert said_under(r.text, "invitation_ttl_hours") == (
            "The invitation lifetime must be between 1 hour and 30 days."
        )
        for field in ("client_sign_in_link_minutes", "internal_sign_in_link_minutes"):
            assert said_under(r.text, field) == "A sign-in link lives from 5 minutes to 7 days.", field
        assert said_under(r.text, "sms_daily_budget").startswith("Texts a day: 0 (none) to ")
        assert re.search(r'<input id="invitation_ttl_hours" [^>]*value=""', r.text)
        portal = api_portal(client, pf)
        assert (
            portal["invitation_ttl_seconds"],
            portal["invitation_reminders"],
            portal["client_sign_in"]["sign_in_link_minutes"],
            portal["internal_sign_in"]["sign_in_link_minutes"],
            portal["sms_daily_budget"],
        ) == (72 * 3600, 1, 30, 45, 7), portal
        # Refused for another field, the page shows the saved values where nothing was sent.
        r = client.post(f"/p/{pf.slug}/settings", data={**form, "name": ""})
        assert r.status_code == 422 and 'value="None"' not in r.text
        assert re.search(r'<input id="invitation_ttl_hours" [^>]*value="72"', r.text)

    def test_settings_sets_the_colour_and_the_top_bar_and_buttons_wear_it(self, client, db):
        pf = create_portal(db)
        page = self.settings_page(client, pf)
        assert 'name="brand_color"' in page.text and 'name="logo"' in page.text
        r = client.post(
            f"/p/{pf.slug}/settings",
            data={
                "csrf_token": csrf_of(page.text),
                "invitation_ttl_hours": "168",
                "enabled_products": ["messaging"],
                "brand_color": "#FACC15",
            },
        )
        assert r.status_code == 200, r.text
        assert "--brand:#facc15" in r.text.replace(" ", "")
        assert "--brand-text:#111827" in r.text.replace(" ", "")  # dark text on yellow
        assert api_portal(client, pf)["brand_color"] == "#facc15"

    def test_a_bad_colour_is_shown_on_the_page_and_nothing_changes(self, client, db):
        pf = create_portal(db)
        page = self.settings_page(client, pf)
        r = client.post(
            f"/p/{pf.slug}/settings",
            data={
                "csrf_token": csrf_of(page.text),
                "invitation_ttl_hours": "5",
                "enabled_products": ["messaging"],
                "brand_color": "navy",
            },
        )
        assert r.status_code == 422
        assert "brand colour" in r.text and 'aria-invalid="true"' in r.text
        assert 'value="navy"' in r.text  # what was typed stays to be corrected
        # The message stands under the field too, not only atop a long page.
        assert re.search(r'<div class="field-error" id="brand_color_error">The brand colour must be', r.text)
        assert api_portal(client, pf)["invitation_ttl_seconds"] != 5 * 3600

    def test_everything_wrong_is_said_at_once_under_its_field_and_nothing_changes(self, client, db):
        """A lifetime out of range, an unknown time zone, a bad colour and an unknown country are
        refused in one Save, each under its field, with what was typed kept; nothing is saved,
        not even the good values beside them."""
        pf = create_portal(db)
        before = api_portal(client, pf)
        page = self.settings_page(client, pf)
        r = client.post(
            f"/p/{pf.slug}/settings",
            data={
                "csrf_token": csrf_of(page.text),
                "invitation_ttl_hours": "0",
                "time_zone": "Mars/Olympus",
                "brand_color": "#12",
                "sms_countries": "US, XX",
                "sms_daily_budget": "77",
                "enabled_products": ["messaging"],
            },
        )
        assert r.status_code == 422
        assert "4 things to fix below." in r.text
        for field, words in (
            ("invitation_ttl_hours", "between 1 hour and 30 days"),
            ("time_zone", "is not a time zone"),
            ("brand_color", "brand colour"),
            ("sms_countries", "XX"),
        ):
            said = re.search(rf'<div class="field-error" id="{field}_error">([^<]*)</div>', r.text)
            assert said and words in said.group(1), field
            assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', r.text), field
        for kept in ('value="0"', 'value="Mars/Olympus"', 'value="#12"', 'value="US, XX"', 'value="77"'):
            assert kept in r.text, kept
        assert 'id="invitation_ttl_hours"' in r.text and "autofocus" in r.text
        assert api_portal(client, pf) == before

    def test_logo_upload_shows_in_the_top_bar_and_is_removable(self, client, db):
        pf = create_portal(db, name="Globex")
        page = self.settings_page(client, pf)
        r = client.post(
            f"/p/{pf.slug}/settings/logo",
            data={"csrf_token": csrf_of(page.text)},
            files={"logo": ("logo.png", png(), "image/png")},
        )
        assert r.status_code == 200, r.text
        assert f'<a class="brand" href="/"><img src="/brand/{pf.slug}/logo-' in r.text
        assert 'alt="Globex"' in r.text
        r = client.post(f"/p/{pf.slug}/settings/logo/remove", data={"csrf_token": csrf_of(r.text)})
        assert r.status_code == 200
        assert '<a class="brand" href="/">Globex</a>' in r.text

    def test_a_fake_image_is_refused_on_the_page(self, client, db):
        pf = create_portal(db)
        page = self.settings_page(client, pf)
        r = client.post(
            f"/p/{pf.slug}/settings/logo",
            data={"csrf_token": csrf_of(page.text)},
            files={"logo": ("logo.png", SVG, "image/png")},
        )
        assert r.status_code == 422
        assert "PNG or JPEG" in r.text

    def test_the_invitation_page_wears_the_brand(self, client, db, worker):
        """The page an invitee opens shows the portal's logo and colour, never the product's name."""
        pf = create_portal(db, name="Globex")
        client.patch(f"/api/v1/portals/{pf.slug}", json={"brand_color": "#1e3a8a"}, headers=pf.headers())
        logo = upload(client, pf, png()).json()["logo_url"]
        invite(db, pf, ["ivy@example.com"], user_type="client")
        worker.drain()
        page = client.get(f"/invite/{last_link(db, 'ivy@example.com')}")
        assert page.status_code == 200
        assert f'<img src="{path_of(logo)}" alt="Globex">' in page.text
        assert "--brand:#1e3a8a" in page.text.replace(" ", "")
        assert "Admit" not in page.text

    def test_sign_in_into_a_portal_wears_its_brand(self, client, db):
        pf = create_portal(db, name="Globex")
        client.patch(f"/api/v1/portals/{pf.slug}", json={"brand_color": "#1e3a8a"}, headers=pf.headers())
        page = client.get(f"/login?next=/p/{pf.slug}/users")
        assert '<a class="brand" href="/">Globex</a>' in page.text
        assert "--brand:#1e3a8a" in page.text.replace(" ", "")
        assert "--brand:" in client.get("/login").text.replace(" ", "")  # the only portal
        # The pages of signing in that are about no portal wear the only portal's too.
        for path in ("/forgot-password", "/no-portal"):
            page = client.get(path)
            assert '<a class="brand" href="/">Globex</a>' in page.text, path
        form = client.get("/login").text
        asked = client.post("/login/link", data={"email": "cleo@example.org", "csrf_token": csrf_of(form)})
        assert asked.status_code == 200 and "Check your email" in asked.text
        assert '<a class="brand" href="/">Globex</a>' in asked.text
        create_portal(db, name="Initech", owner_email="owner@initech.com")
        plain = client.get("/login")  # two portals, and nothing says which
        assert "--brand:" not in plain.text and "Globex" not in plain.text
        assert "Globex" not in client.get("/forgot-password").text


class TestErrorPages:
    def test_an_error_page_wears_the_portal_the_person_was_in(self, client, db):
        """Drawn after the request's session is gone, an error page still wears the look of the
        portal it happened in: a page that is not there, and the page that says someone's access
        was ended. With several portals, an error about none of them is in Admit's look; with
        one, in its look (as the sign-in page is)."""
        import uuid

        from admit.flows import members as members_flow
        from admit.members.models import Member, User
        from tests.factories import PASSWORD, active_member, actor_for

        pf = create_portal(db, name="Globex")
        client.patch(f"/api/v1/portals/{pf.slug}", json={"brand_color": "#1e3a8a"}, headers=pf.headers())
        unknown_link = client.get("/invite/" + "x" * 43)
        assert unknown_link.status_code in (404, 410)
        assert '<a class="brand" href="/">Globex</a>' in unknown_link.text  # the only portal

        create_portal(db, name="Initech", owner_email="owner@initech.com")
        unknown_link = client.get("/invite/" + "x" * 43)
        assert '<a class="brand" href="/">Admit</a>' in unknown_link.text  # nothing says which

        # Someone signed in who is not in Globex learns nothing of it: Admit's look.
        login(client, "owner@initech.com", "owner-password-123")
        outsider = client.get(f"/p/{pf.slug}/workspaces")
        assert outsider.status_code == 404 and '<a class="brand" href="/">Admit</a>' in outsider.text
        assert "Globex" not in outsider.text
        client.cookies.clear()

        login(client, pf.owner_email, "owner-password-123")
        missing = client.get(f"/p/{pf.slug}/workspaces/{uuid.uuid4()}")
        assert missing.status_code == 404, missing.text[:300]
        assert '<a class="brand" href="/">Globex</a>' in missing.text
        assert "--brand:#1e3a8a" in missing.text.replace(" ", "")

        active_member(db, pf, "tess@globex.com", password=PASSWORD)
        with db.unit_of_work() as session:
            member_id = session.scalar(
                select(Member.id).join(User, User.id == Member.user_id).where(User.email == "tess@globex.com")
            )
            members_flow.deactivate(session, actor_for(session, pf.slug, pf.owner_email), member_id)
        client.cookies.clear()
        login(client, "tess@globex.com", PASSWORD)
        ended = client.get(f"/p/{pf.slug}/workspaces")
        assert ended.status_code == 403 and "An administrator ended your access to Globex" in ended.text
        assert '<a class="brand" href="/">Globex</a>' in ended.text
        elsewhere = client.get("/p/nowhere-at-all/workspaces")
        assert elsewhere.status_code == 404 and '<a class="brand" href="/">Admit</a>' in elsewhere.text
