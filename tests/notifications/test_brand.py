"""Emails wear the portal's brand: its logo (or its name) and its colour, never the product's name.

Delivered over SMTP to a real aiosmtpd server on 127.0.0.1, as in ``test_delivery``.
"""

from __future__ import annotations

import re
from email.utils import parseaddr

from admit.jobs import Worker
from admit.kit import colour
from admit.notifications.render import TEMPLATE_DIR
from tests.factories import create_portal, invite
from tests.notifications.test_delivery import RecordingHandler, parts_by_type, smtp, smtp_server  # noqa: F401
from tests.portals.images import png


def brand(client, pf, *, color: str | None = None, logo: bytes | None = None) -> dict:
    if color is not None:
        r = client.patch(f"/api/v1/portals/{pf.slug}", json={"brand_color": color}, headers=pf.headers())
        assert r.status_code == 200, r.text
    if logo is not None:
        r = client.put(
            f"/api/v1/portals/{pf.slug}/logo",
            files={"logo": ("l.png", logo, "image/png")},
            headers=pf.headers(),
        )
        assert r.status_code == 200, r.text
    return client.get(f"/api/v1/portals/{pf.slug}", headers=pf.headers()).json()


def delivered_invitation(db, settings, smtp_server, pf, to="ada@example.com"):  # noqa: F811
    handler = RecordingHandler()
    port = smtp_server(handler)
    invite(db, pf, [to], user_type="client")
    assert Worker(db, smtp(settings, port)).drain()["sent"] == 1
    (message,) = handler.messages()
    return parts_by_type(message), message["Subject"], message["From"]


class TestInvitationEmail:
    def test_logo_and_colour_in_html_and_the_portal_named_in_text(self, db, settings, client, smtp_server):  # noqa: F811
        """The HTML shows the logo (absolute URL, alt = the portal's name) and the brand colour on
        its button with the text colour that reads on it; the text part names the portal."""
        pf = create_portal(db, name="Globex Partners")
        portal = brand(client, pf, color="#facc15", logo=png())
        logo_url = portal["logo_url"]
        assert logo_url.startswith(settings.public_url)

        parts, subject, sender = delivered_invitation(db, settings, smtp_server, pf)
        html, text = parts["text/html"], parts["text/plain"]
        assert f'<img src="{logo_url}" alt="Globex Partners"' in html
        button = re.search(r'<a class="button"[^>]*style="([^"]*)"', html)
        assert button, html
        assert "background:#facc15" in button.group(1)
        assert f"color:{colour.DARK_TEXT}" in button.group(1)  # dark text on yellow
        assert "Globex Partners" in text and "Globex Partners" in subject
        assert parseaddr(sender) == ("Globex Partners", parseaddr(settings.email_from)[1])
        for part in (html, text, subject, parseaddr(sender)[0]):
            assert "Admit" not in part

    def test_without_a_brand_the_name_is_the_wordmark(self, db, settings, client, smtp_server):  # noqa: F811
        """No logo: the portal's name heads the email; the default indigo button has white text."""
        pf = create_portal(db, name="Globex")
        parts, _subject, _sender = delivered_invitation(db, settings, smtp_server, pf)
        html = parts["text/html"]
        assert "<img" not in html
        assert re.search(r"<div style=\"[^\"]*font-weight:700;[^\"]*\">Globex</div>", html)
        assert "background:#4f46e5;color:#ffffff;border:1px solid #4f46e5" in html

    def test_a_dark_colour_gets_white_button_text(self, db, settings, client, smtp_server):  # noqa: F811
        pf = create_portal(db)
        brand(client, pf, color="#1e3a8a")
        parts, _subject, _sender = delivered_invitation(db, settings, smtp_server, pf)
        assert "background:#1e3a8a;color:#ffffff" in parts["text/html"]


def test_no_email_template_names_the_product():
    """Every template (subject, text, HTML, SMS) names the portal, never "Admit"."""
    for path in TEMPLATE_DIR.iterdir():
        assert "Admit" not in path.read_text(), path.name


def test_a_long_unbroken_word_wraps_within_a_phone(client, db, worker):
    """The tester: a personal message of one long word made the HTML email wider than a phone.
    Every HTML email's card (``_layout.html``) wraps a word that does not fit, in inline CSS
    (mail apps drop a <style> block's rules, some all of it): its table is laid out at the
    width it is given, not at its content's, and its cell breaks long words."""
    pf = create_portal(db)
    invite(db, pf, ["fay@client.com"], user_type="client", message="x" * 600)
    worker.drain()
    html = client.get("/api/v1/dev/messages", params={"to": "fay@client.com"}).json()["items"][0]["html"]
    table = re.search(r'<table role="presentation"[^>]*style="([^"]*)"', html)
    assert table and "table-layout:fixed" in table.group(1), table
    cell = re.search(r'<td style="([^"]*)">\s*<p>Hello', html)
    assert cell, html[:2000]
    assert "overflow-wrap:anywhere" in cell.group(1) and "word-break:break-word" in cell.group(1), cell.group(
        1
    )
    assert "x" * 600 in html
