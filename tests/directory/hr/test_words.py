"""What the HR pages say: a connection named by itself (not by its system's type), a preview in
the future and a report in the past, a button named for what it does, counts that add up to the
people, and the settings' domains. Both databases, the fakes on loopback."""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlsplit

import pytest

from tests.directory.hr.conftest import LATER
from tests.directory.hr.fakes import Person
from tests.factories import OWNER_PASSWORD, csrf_of, said_under, sign_in_page

ADA = Person(id="1", first_name="Ada", last_name="Lovelace", email="ada@acme.com")
BOB = Person(id="2", first_name="Bob", last_name="Builder", email="bob@acme.com")
CY = Person(id="3", first_name="Cy", last_name="Gone", email="cy@acme.com", active=False)
EVE = Person(id="5", first_name="Eve", last_name="Later", email="eve@acme.com", start_date=LATER)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_a_list_at_a_url_is_named_by_its_host(client, hr, fake, portal):
    """A JSON/CSV URL connection is "the HR list at HOST" (it was "7 employees in JSON/CSV URL",
    "Not employed according to JSON/CSV URL"), and the connected systems list puts its URL
    apart from its name (it ran "JSON/CSV URLhttp://…" together)."""
    fake.people = [ADA, CY]
    hr.connect()
    host = urlsplit(fake.credentials.base_url).netloc
    sign_in_page(client, portal.owner_email, OWNER_PASSWORD)
    preview = client.get(f"/p/{portal.slug}/hr/{hr.id}/preview")
    said = _text(preview.text)
    assert f"2 employees in the HR list at {host}" in said, said[:400]
    assert f"Not employed according to the HR list at {host}." in said
    assert "JSON/CSV URL" not in said
    home = client.get(f"/p/{portal.slug}/hr")
    cell = re.search(r'<td data-label="System">(.*?)</td>', home.text, re.S).group(1)
    assert re.search(rf"The HR list at {re.escape(host)}\s*<", cell), cell
    assert re.search(rf'<div class="hint break">{re.escape(fake.credentials.base_url)}</div>', cell), cell
    page = client.get(f"/p/{portal.slug}/hr/{hr.id}")
    assert f"The HR list at {host}" in _text(re.search(r"<h1.*?</h1>", page.text, re.S).group(0))


@pytest.mark.parametrize("fake", ["bamboohr"], indirect=True)
def test_preview_speaks_of_what_will_be_and_the_report_of_what_was(client, hr, fake, portal, worker):
    """A leaver's row says what will happen before the run ("will be revoked"; it said
    "invitation revoked." before anything ran) and what happened after; the button is named
    for what it does when there is more than invitations."""
    fake.people = [ADA, BOB]
    hr.connect(deactivate_limit_pct=100)
    hr.sync()
    sign_in_page(client, portal.owner_email, OWNER_PASSWORD)
    only_invites = client.get(f"/p/{portal.slug}/hr/{hr.id}/preview")
    assert "Nothing to do" in only_invites.text  # both invited already
    fake.people = [ADA, Person(id="6", first_name="Fay", last_name="New", email="fay@acme.com")]
    preview = client.get(f"/p/{portal.slug}/hr/{hr.id}/preview")
    said = _text(preview.text)
    assert "No longer listed in BambooHR: their invitation will be revoked." in said, said
    assert "invitation revoked" not in said
    button = re.search(r'<button[^>]*id="send-invites"[^>]*>(.*?)</button>', preview.text).group(1)
    assert button == "Invite and apply changes", button
    sent = client.post(
        f"/p/{portal.slug}/hr/{hr.id}/sync",
        data={"csrf_token": csrf_of(preview.text), "all": "on", "selected": ["6", "2"], "shown": ["6", "2"]},
        follow_redirects=True,
    )
    assert sent.status_code == 200
    worker.drain()
    page = client.get(f"/p/{portal.slug}/hr/{hr.id}")
    report = client.get(re.search(r'href="([^"]+/runs/[^"]+)"', page.text).group(1))
    said = _text(report.text)
    assert "No longer listed in BambooHR: invitation revoked." in said, said
    assert "will be" not in said


@pytest.mark.parametrize("fake", ["bamboohr"], indirect=True)
def test_the_button_says_what_it_does(client, hr, fake, portal):
    """Invitations only: "Send invitations" (it said "Send Invites" whatever it did)."""
    fake.people = [ADA]
    hr.connect()
    sign_in_page(client, portal.owner_email, OWNER_PASSWORD)
    preview = client.get(f"/p/{portal.slug}/hr/{hr.id}/preview")
    button = re.search(r'<button[^>]*id="send-invites"[^>]*>(.*?)</button>', preview.text).group(1)
    assert button == "Send invitations"


@pytest.mark.parametrize("fake", ["bamboohr"], indirect=True)
def test_a_runs_counts_add_up_to_its_people(hr, fake):
    """Someone starting later, invited now, is counted once, as invited (they were counted as
    invited and as starting later: "2 invited · 1 starting later" for 2 people); an invitee
    invited again at a new address is counted apart from the new hires (2 invitations were made
    and "1 invited" said)."""
    fake.people = [ADA, EVE]
    hr.connect()
    run = hr.sync(selection=["1", "5"])
    assert run["counts"]["invited"] == 2 and run["counts"]["invite_on_start"] == 0, run["counts"]
    fake.people = [dataclasses.replace(ADA, email="augusta@acme.com"), EVE, BOB]
    run = hr.sync()
    counts = run["counts"]
    assert (counts["invited"], counts["reinvited"], counts["updated"]) == (1, 1, 0), counts
    state = hr.state()["invitations"]
    assert ("augusta@acme.com", "pending") in state and ("bob@acme.com", "pending") in state


@pytest.mark.parametrize("fake", ["bamboohr"], indirect=True)
def test_domains_are_separated_by_commas(client, hr, fake, portal):
    """ "not a domain" is one entry refused once (it was three: "not", "a", "domain"); the hint
    says commas separate domains; saved domains are shown comma-separated."""
    fake.people = [ADA]
    hr.connect()
    sign_in_page(client, portal.owner_email, OWNER_PASSWORD)
    url = f"/p/{portal.slug}/hr/{hr.id}"
    page = client.get(url)
    assert "Separate domains with commas" in page.text
    form = {"csrf_token": csrf_of(page.text), "schedule": "off", "new_hires": "invite",
            "user_type": "internal", "role": "member", "deactivate_limit_pct": "10"}  # fmt: skip
    refused = client.post(url, data={**form, "allowed_domains": "not a domain"})
    assert refused.status_code == 422
    said = said_under(refused.text, "allowed_domains")
    assert said.startswith("“not a domain” is not a"), said
    assert "“not”" not in said and "“a”" not in said
    saved = client.post(url, data={**form, "allowed_domains": "acme.com, eu.acme.com"}, follow_redirects=True)
    assert 'value="acme.com, eu.acme.com"' in saved.text


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_the_token_hint_says_one_thing(client, fake, portal):
    """The connect page's token hint says when the token is sent and how it is kept, naming it
    (it ended "It is stored encrypted…" after the list of columns); the columns go with the URL."""
    sign_in_page(client, portal.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{portal.slug}/hr/connect/generic")
    token = _text(re.search(r'<p class="hint" id="api_key_hint">(.*?)</p>', page.text, re.S).group(1))
    assert "Columns" not in token and "It is" not in token, token
    assert "Admit stores this token encrypted" in token, token
    url = _text(re.search(r'<div class="hint" id="base_url_hint">(.*?)</div>', page.text, re.S).group(1))
    assert url.startswith("Columns are matched by name"), url
