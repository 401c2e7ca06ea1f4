"""Texts (issue 14 item 8, the portal's half): which countries' numbers a portal texts (its
Settings; by default the deployment's own country) and how many texts a day at most. Both
backends; every path that invites goes through the pipeline that applies them."""

from __future__ import annotations

from datetime import timedelta

from admit.kit import clock
from tests.factories import create_portal, csrf_of, login


def invite_numbers(client, pf, numbers):
    r = client.post(
        f"/api/v1/portals/{pf.slug}/invitations",
        json={"recipients": numbers, "user_type": "client"},
        headers=pf.headers(),
    )
    assert r.status_code in (200, 201), r.text
    return {row["recipient"]: (row["outcome"], row["code"], row["detail"]) for row in r.json()["results"]}


def set_texts(client, pf, **changes):
    return client.patch(f"/api/v1/portals/{pf.slug}", json=changes, headers=pf.headers())


class TestCountries:
    def test_by_default_only_the_deployments_country_is_texted(self, client, db):
        pf = create_portal(db)
        got = invite_numbers(client, pf, ["+1 202 555 0173", "+44 20 7946 0958"])
        assert got["+1 202 555 0173"][0] == "invited"
        outcome, code, detail = got["+44 20 7946 0958"]
        assert (outcome, code) == ("skipped", "sms_country_not_allowed")
        # The country by its name as a sentence says it and its calling code, and the code
        # Settings takes to add it (it said "Texts to Britain (UK, GB) numbers are not allowed").
        assert detail == (
            "This portal does not send texts to numbers in the United Kingdom (+44). It texts "
            "numbers in the United States (+1) only; to text the United Kingdom too, add GB in "
            "Settings → Portal, under Texts (SMS)."
        )

    def test_every_country_is_named_as_a_sentence_says_it(self, client, db):
        """Each country refused reads naturally, "numbers in Germany (+49)", "in the United
        States (+1)" (iso3166.tab's short names said "Britain (UK)", "Korea (South)",
        "Samoa (American)" mid-sentence)."""
        pf = create_portal(db)
        assert set_texts(client, pf, sms_countries=["DE", "FR"]).status_code == 200
        numbers = {
            "+1 202 555 0173": "the United States (+1)",
            "+44 20 7946 0958": "the United Kingdom (+44)",
            "+44 7911 123456": "Guernsey (+44)",  # its own country code, GG, in the UK's +44
            "+82 10 2345 6789": "South Korea (+82)",
            "+31 6 12345678": "the Netherlands (+31)",
            "+1 684 733 1234": "American Samoa (+1)",
        }
        got = invite_numbers(client, pf, list(numbers))
        for number, country in numbers.items():
            outcome, code, detail = got[number]
            assert (outcome, code) == ("skipped", "sms_country_not_allowed"), (number, got[number])
            assert detail.startswith(f"This portal does not send texts to numbers in {country}. "), detail
            assert "It texts numbers in Germany (+49) and France (+33) only; to text " in detail, detail
        allowed = invite_numbers(client, pf, ["+49 1512 3456789", "+33 6 12 34 56 78"])
        assert {outcome for outcome, _code, _detail in allowed.values()} == {"invited"}, allowed

    def test_the_portal_chooses_its_countries_and_the_change_is_audited(self, client, db):
        pf = create_portal(db)
        r = set_texts(client, pf, sms_countries=["us", " gb", "US"])
        assert r.status_code == 200 and r.json()["sms_countries"] == ["US", "GB"]
        assert invite_numbers(client, pf, ["+44 20 7946 0958"])["+44 20 7946 0958"][0] == "invited"
        events = client.get(f"/api/v1/portals/{pf.slug}/audit-events", headers=pf.headers()).json()["items"]
        assert any("sms_countries" in str(e.get("detail")) for e in events), events[:3]

    def test_the_portal_says_which_countries_it_texts(self, client, db):
        """The tester: ``GET /portals/{p}`` said ``sms_countries: []`` while refusals said
        "allowed: US". The empty setting means the deployment's default phone region; the
        answer says so in ``sms_countries_allowed``, the countries texted now, whatever is set."""
        pf = create_portal(db)
        portal = client.get(f"/api/v1/portals/{pf.slug}", headers=pf.headers()).json()
        assert (portal["sms_countries"], portal["sms_countries_allowed"]) == ([], ["US"])
        portal = set_texts(client, pf, sms_countries=["gb", "US"]).json()
        assert (portal["sms_countries"], portal["sms_countries_allowed"]) == (["GB", "US"], ["GB", "US"])
        portal = set_texts(client, pf, sms_countries=[]).json()
        assert portal["sms_countries_allowed"] == ["US"]

    def test_an_unknown_country_code_is_refused_by_name(self, client, db):
        pf = create_portal(db)
        r = set_texts(client, pf, sms_countries=["US", "Atlantis"])
        assert (r.status_code, r.json()["field"]) == (422, "sms_countries")
        assert "Atlantis" in r.json()["detail"]
        assert client.get(f"/api/v1/portals/{pf.slug}", headers=pf.headers()).json()["sms_countries"] == []


class TestDailyBudget:
    def test_numbers_beyond_the_days_texts_wait_for_the_next_day(self, client, db):
        pf = create_portal(db)
        assert set_texts(client, pf, sms_daily_budget=2).status_code == 200
        numbers = ["+1 202 555 0101", "+1 202 555 0102", "+1 202 555 0103"]
        got = invite_numbers(client, pf, [*numbers, "ada@example.com"])
        assert [got[n][0] for n in numbers] == ["invited", "invited", "skipped"]
        assert got[numbers[2]][1] == "sms_budget_reached"
        assert got["ada@example.com"][0] == "invited"  # emails are not texts
        with clock.travel(timedelta(days=1, minutes=1)):
            assert invite_numbers(client, pf, [numbers[2]])[numbers[2]][0] == "invited"

    def test_zero_turns_texting_off(self, client, db):
        pf = create_portal(db)
        set_texts(client, pf, sms_daily_budget=0)
        assert invite_numbers(client, pf, ["+1 202 555 0101"])["+1 202 555 0101"][1] == "sms_budget_reached"


class TestSettingsPage:
    def test_the_texts_section_saves_countries_and_budget(self, client, db):
        pf = create_portal(db)
        login(client, pf.owner_email, password="owner-password-123")
        page = client.get(f"/p/{pf.slug}/settings")
        assert 'name="sms_countries"' in page.text and 'placeholder="US"' in page.text
        r = client.post(
            f"/p/{pf.slug}/settings",
            data={
                "csrf_token": csrf_of(page.text),
                "invitation_ttl_hours": "168",
                "enabled_products": ["messaging"],
                "sms_countries": "us, ca",
                "sms_daily_budget": "25",
            },
        )
        assert r.status_code == 200, r.text
        portal = client.get(f"/api/v1/portals/{pf.slug}", headers=pf.headers()).json()
        assert (portal["sms_countries"], portal["sms_daily_budget"]) == (["US", "CA"], 25)
        assert 'value="US, CA"' in r.text
