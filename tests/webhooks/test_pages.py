"""Settings → Webhooks, as an admin uses it: add an endpoint (its secret shown once), send a
test event and read it in the log, Redeliver, pause, and mistakes named on the form."""

from __future__ import annotations

import re

from admit.webhooks import jobs as webhooks_jobs
from tests.factories import OWNER_PASSWORD, active_member, create_portal, csrf_of, said_under, sign_in_page
from tests.webhooks.test_webhooks import receiver  # noqa: F401 - the fixture


def test_an_admin_adds_an_endpoint_tests_it_and_redelivers(client, db, receiver):  # noqa: F811
    pf = create_portal(db)
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{pf.slug}/settings/webhooks")
    assert page.status_code == 200 and "No endpoints yet." in page.text
    assert 'value="invitation.bounced"' in page.text
    r = client.post(
        f"/p/{pf.slug}/settings/webhooks",
        data={
            "url": receiver.url + "/hook",
            "description": "CRM",
            "events": ["member.joined", "invitation.created"],
            "csrf_token": csrf_of(page.text),
        },
    )
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    secret = re.search(r'value="(whsec_[^"]+)"', r.text).group(1)
    assert "shown this once" in r.text
    endpoint_url = re.search(r'action="[^"]*?(/p/[^"]+/settings/webhooks/[0-9a-f-]{36})"', r.text).group(1)
    again = client.get(endpoint_url)
    assert secret not in again.text and "Nothing sent yet" in again.text

    r = client.post(endpoint_url + "/test", data={"csrf_token": csrf_of(again.text)}, follow_redirects=True)
    assert "A test event is on its way" in r.text
    webhooks_jobs.deliver_due(db, db.context.settings)
    log = client.get(endpoint_url)
    assert re.search(
        r"webhook\.test</code></a></td>\s*<td data-label=\"Status\"><span class=\"badge sent\">Delivered",
        log.text,
    )
    message_id = re.search(r"messages/([0-9a-f-]{36})/redeliver", log.text).group(1)
    opened = client.get(endpoint_url, params={"message": message_id})
    assert "&#34;type&#34;:&#34;webhook.test&#34;" in opened.text and " ms</td>" in opened.text

    r = client.post(f"{endpoint_url}/messages/{message_id}/redeliver", data={"csrf_token": csrf_of(log.text)},
                    follow_redirects=True)  # fmt: skip
    assert "will be sent again now" in r.text
    webhooks_jobs.deliver_due(db, db.context.settings)
    assert [r.headers["webhook-id"] for r in receiver.requests] == [
        receiver.requests[0].headers["webhook-id"]
    ] * 2

    # Pause it: the form without "enabled" ticked.
    r = client.post(
        endpoint_url,
        data={"url": receiver.url + "/hook", "description": "CRM", "events": ["member.joined"],
              "csrf_token": csrf_of(log.text)},
        follow_redirects=True,
    )  # fmt: skip
    assert "Saved." in r.text and "Paused" in r.text


def test_a_refused_url_is_named_and_the_form_kept(client, db):
    pf = create_portal(db)
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{pf.slug}/settings/webhooks")
    r = client.post(
        f"/p/{pf.slug}/settings/webhooks",
        data={"url": "http://169.254.169.254/latest", "description": "metadata?", "events": ["member.joined"],
              "csrf_token": csrf_of(page.text)},
    )  # fmt: skip
    assert r.status_code == 422
    assert "only calls public addresses" in said_under(r.text, "webhook-url")
    assert 'value="metadata?"' in r.text and 'value="member.joined" checked' in r.text
    r = client.post(
        f"/p/{pf.slug}/settings/webhooks",
        data={"url": "https://93.184.215.14/x", "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 422
    assert said_under(r.text, "webhook-events") == "Choose at least one event to send."


def test_members_cannot_open_it(client, db):
    pf = create_portal(db)
    active_member(db, pf, "mia@acme.com")
    from tests.factories import PASSWORD

    sign_in_page(client, "mia@acme.com", PASSWORD)
    assert client.get(f"/p/{pf.slug}/settings/webhooks").status_code == 403
