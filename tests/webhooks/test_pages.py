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


def test_a_failing_endpoint_and_its_retrying_messages_say_so(client, db, receiver):  # noqa: F811
    """An endpoint that answers 500 to everything: its oldest message, after failing, says
    Retrying (the attempts, the next try, the last error), the one behind it waits its turn
    untried (Queued), the log's filter offers both, and the list of endpoints says the endpoint is
    failing, with a link to that message; once it answers again, Enabled."""
    from datetime import timedelta

    from admit.kit import clock
    from tests.factories import invite

    pf = create_portal(db)
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{pf.slug}/settings/webhooks")
    r = client.post(
        f"/p/{pf.slug}/settings/webhooks",
        data={"url": receiver.url + "/down", "events": ["invitation.created"],
              "csrf_token": csrf_of(page.text)},
    )  # fmt: skip
    endpoint_url = re.search(r'action="[^"]*?(/p/[^"]+/settings/webhooks/[0-9a-f-]{36})"', r.text).group(1)
    receiver.answers["/down"] = [500] * 20
    invite(db, pf, ["ada@example.com", "bo@example.com"], user_type="client")
    webhooks_jobs.deliver_due(db, db.context.settings)
    with clock.travel(timedelta(seconds=6)):
        webhooks_jobs.deliver_due(db, db.context.settings)
    log = client.get(endpoint_url)
    rows = re.findall(r'<tr data-message="msg_[0-9a-f]+">(.*?)</tr>', log.text, re.S)
    assert len(rows) == 2
    behind, head = rows  # newest first
    assert '<span class="badge failed">Retrying</span>' in head, head
    assert "Attempt 2 failed" in head and "Next try" in head and "Queued" not in head
    assert "The endpoint answered 500." in head
    assert '<span class="badge queued">Queued</span>' in behind, behind
    assert '<td data-label="Attempts">0</td>' in behind
    assert '<option value="retrying" >Retrying</option>' in log.text
    retrying = client.get(endpoint_url, params={"status": "retrying"})
    assert len(re.findall(r"<tr data-message=", retrying.text)) == 1
    assert (
        len(re.findall(r"<tr data-message=", client.get(endpoint_url, params={"status": "queued"}).text)) == 1
    )

    listed = client.get(f"/p/{pf.slug}/settings/webhooks")
    health = re.search(r'<td data-label="Status">(.*?)</td>', listed.text, re.S).group(1)
    assert "Failing — last delivery failed" in re.sub(r"<[^>]+>", "", health), health
    assert "Enabled" not in health and f'{endpoint_url}?status=retrying#webhook-log">see it</a>' in health
    # The API says it too, on the list and on the endpoint.
    api = f"/api/v1/portals/{pf.slug}/webhooks"
    [listed_api] = client.get(api, headers=pf.headers()).json()["items"]
    assert listed_api["failed_in_a_row"] == 1, listed_api
    one = client.get(f"{api}/{listed_api['id']}", headers=pf.headers()).json()
    assert one["failed_in_a_row"] == 1, one

    receiver.answers["/down"] = []
    with clock.travel(timedelta(minutes=6)):
        webhooks_jobs.deliver_due(db, db.context.settings)
    listed = client.get(f"/p/{pf.slug}/settings/webhooks")
    health = re.search(r'<td data-label="Status">(.*?)</td>', listed.text, re.S).group(1)
    assert "Enabled" in health and "Failing" not in health, health
    assert client.get(api, headers=pf.headers()).json()["items"][0]["failed_in_a_row"] == 0


def test_the_url_hint_says_what_this_server_accepts(client, db, change_settings):
    """Private addresses refused (the default) or allowed (``ADMIT_WEBHOOKS_ALLOW_PRIVATE``);
    https:// required in production only: the hint says which, where it always said "refused"
    and "https://"."""
    pf = create_portal(db)
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)

    def hint() -> str:
        page = client.get(f"/p/{pf.slug}/settings/webhooks").text
        return re.search(r'<div class="hint" id="webhook-url-hint">(.*?)</div>', page, re.S).group(1)

    assert hint() == (
        "A public address (https:// or http://). Private, loopback and link-local addresses are refused."
    )
    change_settings(webhooks_allow_private=True)
    assert hint() == (
        "An https:// or http:// address. Private, loopback and link-local addresses are allowed "
        "on this server."
    )


def test_the_list_says_when_a_waiting_head_is_tried_again(client, db, receiver):  # noqa: F811
    """A 503 with Retry-After: 1200: the endpoint's oldest message waits 20 minutes and holds
    back the others; the list says when it is tried again (the portal's zone) and how many wait,
    where it said only Enabled."""
    from sqlalchemy import select, update

    from admit.events.models import WebhookMessage
    from admit.kit.text import moment_text
    from admit.portals.models import Portal
    from tests.factories import invite
    from tests.webhooks.test_webhooks import add_endpoint

    pf = create_portal(db)
    with db.unit_of_work() as session:
        session.execute(update(Portal).where(Portal.slug == pf.slug).values(time_zone="Asia/Tokyo"))
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    add_endpoint(client, pf, receiver.url + "/busy", ["invitation.created"])
    receiver.answers["/busy"] = [(503, {"Retry-After": "1200"})]
    for n in range(3):
        invite(db, pf, [f"p{n}@example.org"], user_type="client")
    assert webhooks_jobs.deliver_due(db, db.context.settings)["retry"] == 1
    with db.unit_of_work() as session:
        retry_at = session.scalar(select(WebhookMessage.next_attempt_at).where(WebhookMessage.attempts == 1))
    listed = client.get(f"/p/{pf.slug}/settings/webhooks")
    state = re.search(r'<td data-label="Status">(.*?)</td>', listed.text, re.S).group(1)
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", state))
    assert f"Next try {moment_text(retry_at, 'Asia/Tokyo')} — 3 messages waiting" in words, state
    # The API says it too.
    [endpoint] = client.get(f"/api/v1/portals/{pf.slug}/webhooks", headers=pf.headers()).json()["items"]
    assert (endpoint["waiting"], endpoint["next_try_at"]) == (3, retry_at.isoformat().replace("+00:00", "Z"))
