"""The Audit Log's days and actor filters and its CSV export: the service, the API, the page and
``admit audit list``, on both backends.

The log under test (``_log``) is in a portal working in Europe/Paris (UTC+1 in December), with
events on either side of its midnight, by two people and by the HR system, and one whose actor
label is built to run as a spreadsheet formula."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from admit.audit import service as audit_service
from admit.audit.models import AuditEvent
from admit.errors import InvalidInput, PermissionDenied
from admit.people import activity
from admit.portals.models import Portal
from tests.cli.helpers import starts
from tests.factories import OWNER_PASSWORD, PASSWORD, active_member, actor_for, create_portal, login

FORMULA = '=HYPERLINK("http://evil.example")'


@dataclass
class Log:
    pf: object
    ada_id: object


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _log(db) -> Log:
    """Five events at known moments (UTC), the portal's own (its creation) moved out of the way."""
    pf = create_portal(db)
    active_member(db, pf, "ada@example.com", role="admin")
    with db.unit_of_work() as session:
        session.scalar(select(Portal).where(Portal.slug == pf.slug)).time_zone = "Europe/Paris"
        session.flush()
        owner = actor_for(session, pf.slug, pf.owner_email)
        ada = actor_for(session, pf.slug, "ada@example.com")
        for event in session.scalars(select(AuditEvent).where(AuditEvent.portal_id == pf.portal_id)):
            event.created_at = _at("2025-01-01T12:00:00")  # setting up: long before the rest
        written = [
            # 23:30 in Paris on 5 December; 00:30 there on 6 December.
            (owner, "invitation.revoked", "early@example.com", "2025-12-05T22:30:00"),
            (owner, "invitation.revoked", "late@example.com", "2025-12-05T23:30:00"),
            (ada, "member.deactivated", "bob@example.com", "2025-12-06T12:00:00"),
        ]
        for who, action, target, when in written:
            audit_service.record(session, who, action, target_type="x", target_label=target).created_at = _at(
                when
            )
        hr = audit_service.record(
            session, None, "hr.sync_started", target_type="hr", target_label="BambooHR",
            portal_id=pf.portal_id, by_account=(None, "hr:bamboohr"),  # type: ignore[arg-type]
        )  # fmt: skip
        hr.created_at = _at("2025-12-07T09:00:00")
        evil = audit_service.record(
            session, None, "user.signed_in", target_type="user", target_label=FORMULA,
            portal_id=pf.portal_id, by_account=(None, FORMULA), detail={"via": "password"},  # type: ignore[arg-type]
        )  # fmt: skip
        evil.created_at = _at("2025-12-08T10:00:00")
        evil.ip = "-1+1"
        return Log(pf, ada.user_id)


def _targets(events) -> list[str]:
    return [e.target_label for e in events]


class TestService:
    """``audit.service.list_events``: the days are the portal's, and every filter combines."""

    def test_days_are_read_in_the_portals_time_zone(self, db):
        """00:30 in Paris on 6 December (23:30 UTC on the 5th) is on the 6th; ``until`` takes in
        the whole of its day."""
        log = _log(db)
        with db.unit_of_work() as session:
            owner = actor_for(session, log.pf.slug, log.pf.owner_email)
            on_6th, _ = audit_service.list_events(
                session, owner, since=date(2025, 12, 6), until=date(2025, 12, 6)
            )
            assert _targets(on_6th) == ["bob@example.com", "late@example.com"]
            up_to_5th, _ = audit_service.list_events(session, owner, until=date(2025, 12, 5))
            assert _targets(up_to_5th)[0] == "early@example.com"  # then the setting up, in January
            assert {e.created_at for e in up_to_5th[1:]} == {_at("2025-01-01T12:00:00")}
            from_7th, _ = audit_service.list_events(session, owner, since=date(2025, 12, 7))
            assert _targets(from_7th) == [FORMULA, "BambooHR"]

    def test_until_before_since_is_refused(self, db):
        log = _log(db)
        with db.unit_of_work() as session:
            owner = actor_for(session, log.pf.slug, log.pf.owner_email)
            with pytest.raises(InvalidInput) as refused:
                audit_service.list_events(session, owner, since=date(2025, 12, 6), until=date(2025, 12, 5))
            assert refused.value.fields["field"] == "until"

    def test_by_person_or_label_with_category_days_and_cursor(self, db):
        """The actor filter (a person's id, or a label) goes with the category, the days and
        the cursor: each page holds only what all of them match."""
        log = _log(db)
        with db.unit_of_work() as session:
            owner = actor_for(session, log.pf.slug, log.pf.owner_email)
            by_ada, _ = audit_service.list_events(session, owner, acted_by=audit_service.ActedBy(log.ada_id))
            assert _targets(by_ada) == ["bob@example.com"]
            by_hr, _ = audit_service.list_events(
                session, owner, acted_by=audit_service.ActedBy(label="hr:bamboohr")
            )
            assert _targets(by_hr) == ["BambooHR"]
            filters = {
                "acted_by": audit_service.ActedBy(owner.user_id),
                "category": "invitations",
                "since": date(2025, 12, 1),
                "until": date(2025, 12, 31),
            }
            first, cursor = audit_service.list_events(session, owner, limit=1, **filters)
            assert _targets(first) == ["late@example.com"] and cursor
            second, cursor = audit_service.list_events(session, owner, limit=1, cursor=cursor, **filters)
            assert (_targets(second), cursor) == (["early@example.com"], None)
            assert audit_service.count_events(session, owner, **filters) == 2

    def test_who_is_named_as_typed(self, db):
        """An address typed any way names the person; anything else a label; a broken address is
        refused naming ``actor``."""
        log = _log(db)
        with db.unit_of_work() as session:
            owner = actor_for(session, log.pf.slug, log.pf.owner_email)
            assert activity.acted_by(session, "  ADA@Example.com ") == audit_service.ActedBy(
                log.ada_id, "ada@example.com"
            )
            assert activity.acted_by(session, "hr:bamboohr") == audit_service.ActedBy(label="hr:bamboohr")
            assert activity.acted_by(session, str(log.ada_id)) == audit_service.ActedBy(log.ada_id)
            assert activity.acted_by(session, "") is None
            with pytest.raises(InvalidInput) as refused:
                activity.acted_by(session, "ada@")
            assert refused.value.fields["field"] == "actor"
            entries, _ = activity.log(session, owner, by="Ada@example.com")
            assert [e.summary for e in entries] == ["ada deactivated bob@example.com"]

    def test_the_people_offered_are_those_who_acted(self, db):
        log = _log(db)
        with db.unit_of_work() as session:
            owner = actor_for(session, log.pf.slug, log.pf.owner_email)
            assert activity.actor_choices(session, owner) == [
                (FORMULA, FORMULA),
                ("ada@example.com", "ada"),
                ("hr:bamboohr", "BambooHR sync"),
                ("owner@acme.com", "Olive Owner"),
            ]

    def test_systems_that_acted_are_named_in_words(self, db):
        """An HR sync is offered under "Who did it", and starts its sentences, by its system's
        title ("BambooHR sync"; a list at a URL: "The HR list sync"), where it read
        ``hr:bamboohr``; a SCIM token by its connection ("SCIM (Okta)"). The values stay the
        labels the events carry (the filter, the API and the CSV read them)."""
        log = _log(db)
        with db.unit_of_work() as session:
            for label in ("hr:generic", "scim token 1a2b3c4d (Okta)"):
                audit_service.record(
                    session, None, "hr.sync_started", target_type="hr", target_label="x",
                    portal_id=log.pf.portal_id, by_account=(None, label),  # type: ignore[arg-type]
                )  # fmt: skip
        with db.unit_of_work() as session:
            owner = actor_for(session, log.pf.slug, log.pf.owner_email)
            choices = dict(activity.actor_choices(session, owner))
            entries, _ = activity.log(session, owner, by="hr:bamboohr")
            generic, _ = activity.log(session, owner, by="hr:generic")
        assert choices["hr:bamboohr"] == "BambooHR sync", choices
        assert choices["hr:generic"] == "The HR list sync", choices
        assert choices["scim token 1a2b3c4d (Okta)"] == "SCIM (Okta)", choices
        assert [e.summary.split(" started")[0] for e in entries + generic] == [
            "BambooHR sync",
            "The HR list sync",
        ]

    def test_nobody_signed_in_is_offered_in_words(self, db):
        """A sign-up through the invite link was offered under "Who did it" as "anonymous": it
        says who that is; its value stays the label the events carry."""
        from tests.links.helpers import link_token, sign_up

        log = _log(db)
        sign_up(db, link_token(db, log.pf), "sam@acme.com")
        with db.unit_of_work() as session:
            owner = actor_for(session, log.pf.slug, log.pf.owner_email)
            choices = dict(activity.actor_choices(session, owner))
        assert choices["anonymous"] == "Someone not signed in (through a link)", choices

    def test_only_who_may_read_the_log(self, db):
        log = _log(db)
        active_member(db, log.pf, "mel@example.com", role="member")
        with db.unit_of_work() as session:
            mel = actor_for(session, log.pf.slug, "mel@example.com")
            for read in (audit_service.list_events, audit_service.count_events, audit_service.recent_actors):
                with pytest.raises(PermissionDenied):
                    read(session, mel)


def _api(client, log, path="/audit-events", **params):
    return client.get(f"/api/v1/portals/{log.pf.slug}{path}", params=params, headers=log.pf.headers())


class TestApi:
    def test_days_and_actor_in_the_query(self, client, db):
        log = _log(db)
        r = _api(client, log, since="2025-12-06", until="2025-12-06")
        assert r.status_code == 200, r.text
        assert [e["target_label"] for e in r.json()["items"]] == ["bob@example.com", "late@example.com"]
        r = _api(client, log, actor="owner@acme.com", category="invitations", since="2025-12-05", limit=1)
        page = r.json()
        assert [e["summary"] for e in page["items"]] == [
            "Olive Owner revoked the invitation to late@example.com"
        ]
        r = _api(client, log, actor="owner@acme.com", category="invitations", since="2025-12-05",
                 cursor=page["next_cursor"])  # fmt: skip
        assert [e["target_label"] for e in r.json()["items"]] == ["early@example.com"]
        assert r.json()["next_cursor"] is None

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"since": "2025-13-01"}, "since"),
            ({"until": "yesterday"}, "until"),
            ({"since": "2025-12-06", "until": "2025-12-05"}, "until"),
            ({"actor": "ada@"}, "actor"),
        ],
    )
    def test_a_bad_value_is_a_422_naming_it(self, client, db, params, field):
        log = _log(db)
        for path in ("/audit-events", "/audit-events.csv"):
            r = _api(client, log, path, **params)
            assert r.status_code == 422, (path, r.text)
            assert r.json()["field"] == field, r.json()
            # Plain words, said once (it read "actor: The part after…", and pydantic's own
            # "Input should be a valid date or datetime, month value is outside…").
            message = r.json()["errors"][0]["message"]
            assert not message.startswith(f"{field}:") and "Input should" not in message, message

    @pytest.mark.parametrize("typed", ["20261206", "2026-W49-7", "1733443200", "2026-12-06T00:00:00"])
    def test_a_day_is_written_one_way_everywhere(self, client, db, run_cli, typed):
        """The API, the page and the CLI read a day by one reader (audit.service.day), written
        YYYY-MM-DD: the API took "1733443200" and "2026-12-06T00:00:00" where the page refused
        them, and the page "20261206" and "2026-W49-7" where the API refused them."""
        log = _log(db)
        r = _api(client, log, "/audit-events", since=typed)
        assert (r.status_code, r.json()["field"]) == (422, "since"), r.text
        assert r.json()["errors"] == [
            {
                "field": "since",
                "message": f"“{typed}” is not a day. A day, written YYYY-MM-DD (e.g. 2026-12-06).",
            }
        ]
        result = run_cli("audit", "list", "--portal", log.pf.slug, "--since", typed)
        assert result.exit_code == 2 and "is not a day" in result.output, result.output

    def test_both_bad_days_are_said_at_once(self, client, db):
        log = _log(db)
        r = _api(client, log, "/audit-events", since="soon", until="later")
        assert [e["field"] for e in r.json()["errors"]] == ["since", "until"], r.text

    def test_the_document_describes_the_filters_and_the_export(self, client):
        doc = client.get("/api/v1/openapi.json").json()
        listed = doc["paths"]["/api/v1/portals/{portal}/audit-events"]["get"]
        named = {p["name"]: p for p in listed["parameters"]}
        assert {"since", "until", "actor", "category", "q", "cursor", "limit"} <= set(named)
        assert named["since"]["schema"]["format"] == "date"  # read by audit.service.day, as the page and CLI
        assert "time zone" in named["until"]["description"]
        export = doc["paths"]["/api/v1/portals/{portal}/audit-events.csv"]["get"]
        assert "text/csv" in export["responses"]["200"]["content"]
        assert {"since", "until", "actor"} <= {p["name"] for p in export["parameters"]}

    def test_the_export_is_every_match_as_csv_with_formulas_defused(self, client, db, monkeypatch):
        """Every event the filters match (read a page at a time: here pages of 2), newest first,
        with time in UTC, the actor's label, the action, its category, the page's line and the
        address; cells that would run as formulas start with an apostrophe."""
        monkeypatch.setattr(activity, "EXPORT_PAGE", 2)
        log = _log(db)
        r = _api(client, log, "/audit-events.csv", since="2025-12-05")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/csv")
        assert "attachment" in r.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(r.text)))
        assert rows[0] == ["time", "actor", "action", "category", "summary", "ip"]
        assert [row[0] for row in rows[1:]] == [
            "2025-12-08T10:00:00Z", "2025-12-07T09:00:00Z", "2025-12-06T12:00:00Z",
            "2025-12-05T23:30:00Z", "2025-12-05T22:30:00Z",
        ]  # fmt: skip
        assert rows[1][1:] == [
            "'" + FORMULA,
            "user.signed_in",
            "sign-ins",
            "'" + FORMULA + " signed in with a password",
            "",  # not an address ("-1+1"): the column holds addresses only
        ]
        assert rows[3][1:] == [
            "ada@example.com", "member.deactivated", "members", "ada deactivated bob@example.com", "127.0.0.1"
        ]  # fmt: skip
        only_ada = list(
            csv.reader(io.StringIO(_api(client, log, "/audit-events.csv", actor="ada@example.com").text))
        )
        assert [row[2] for row in only_ada[1:]] == ["member.deactivated"]

    def test_the_ip_column_holds_an_address_or_nothing(self, client, db, run_cli):
        """What the console did has no address: its ip cell is empty (it said "cli"), as the
        column's name says; the page's From still says where it came from."""
        log = _log(db)
        assert run_cli("workspaces", "create", "--portal", log.pf.slug, "--name", "Q3 Audit").exit_code == 0
        rows = list(csv.reader(io.StringIO(_api(client, log, "/audit-events.csv").text)))
        (created,) = [row for row in rows if row[2] == "workspace.created"]
        assert created[5] == "", created
        assert "127.0.0.1" in [row[5] for row in rows]

    def test_the_api_says_the_console_apart_from_the_address(self, client, db, run_cli):
        """The JSON's ``ip`` is an address or null, as the CSV's column; ``console`` says what
        the console did (it said ``ip: "cli"``); the page's From says "Console"."""
        log = _log(db)
        assert run_cli("workspaces", "create", "--portal", log.pf.slug, "--name", "Q3 Audit").exit_code == 0
        items = _api(client, log, limit=100).json()["items"]
        by_action = {e["action"]: e for e in items}
        created = by_action["workspace.created"]
        assert (created["ip"], created["console"]) == (None, True), created
        deactivated = by_action["member.deactivated"]
        assert (deactivated["ip"], deactivated["console"]) == ("127.0.0.1", False), deactivated
        login(client, log.pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{log.pf.slug}/audit", params={"q": "Q3 Audit"})
        assert re.search(r'data-label="From">\s*Console\s*<', page.text), page.text

    def test_the_export_is_for_who_may_read_the_log(self, client, db):
        log = _log(db)
        active_member(db, log.pf, "mel@example.com", role="member")
        login(client, "mel@example.com", PASSWORD)
        r = client.get(f"/api/v1/portals/{log.pf.slug}/audit-events.csv")
        assert r.status_code == 403, r.text
        assert "text/csv" not in r.headers["content-type"]


class TestPage:
    def test_the_form_keeps_its_values_and_the_export_carries_them(self, client, db):
        log = _log(db)
        login(client, log.pf.owner_email, OWNER_PASSWORD)
        chosen = {
            "since": "2025-12-05",
            "until": "2025-12-06",
            "actor": "owner@acme.com",
            "category": "invitations",
        }
        page = client.get(f"/p/{log.pf.slug}/audit", params=chosen)
        assert page.status_code == 200, page.text
        html = page.text
        assert 'name="since" type="date" value="2025-12-05"' in html
        assert 'name="until" type="date" value="2025-12-06"' in html
        assert '<option value="owner@acme.com" selected>Olive Owner' in html
        assert '<option value="invitations" selected>' in html
        assert "revoked the invitation to late@example.com" in html
        assert "bob@example.com" not in html
        export = (
            f'href="/api/v1/portals/{log.pf.slug}/audit-events.csv?category=invitations&amp;'
            'actor=owner%40acme.com&amp;since=2025-12-05&amp;until=2025-12-06"'
        )
        assert export in html, html[html.find("Export CSV") - 300 : html.find("Export CSV")]

    def test_older_events_keep_the_filters(self, client, db):
        log = _log(db)
        with db.unit_of_work() as session:
            owner = actor_for(session, log.pf.slug, log.pf.owner_email)
            targets = [(None, f"p{n}@example.com", {}) for n in range(101)]
            audit_service.record_many(session, owner, "invitation.revoked", target_type="x", targets=targets)
        login(client, log.pf.owner_email, OWNER_PASSWORD)
        page = client.get(
            f"/p/{log.pf.slug}/audit", params={"actor": "owner@acme.com", "category": "invitations"}
        )
        assert 'href="?category=invitations&amp;actor=owner%40acme.com&amp;cursor=' in page.text

    def test_a_bad_day_is_said_beside_the_form(self, client, db):
        log = _log(db)
        login(client, log.pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{log.pf.slug}/audit", params={"since": "2025-12-32"})
        assert page.status_code == 422
        assert "“2025-12-32” is not a day. A day, written YYYY-MM-DD (e.g. 2026-12-06)." in page.text
        assert 'value="2025-12-32"' in page.text  # kept, to be corrected

    def test_days_out_of_order_are_said_with_the_pages_words(self, client, db):
        """The page names its own fields, "From" and "to" (it said "until must be the same day
        as since or after it."), as does a category not in its list; the API keeps its names."""
        log = _log(db)
        login(client, log.pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{log.pf.slug}/audit", params={"since": "2025-12-07", "until": "2025-12-01"})
        assert page.status_code == 422
        said = re.search(r'<div class="notice error" role="alert" id="audit-error">([^<]*)</div>', page.text)
        assert said and html.unescape(said.group(1)) == (
            "The “to” day must be the same day as the “From” day or after it."
        ), page.text
        assert re.search(r'<input id="audit-until"[^>]*aria-invalid="true"', page.text), page.text
        page = client.get(f"/p/{log.pf.slug}/audit", params={"category": "bogus"})
        said = re.search(r'<div class="notice error" role="alert" id="audit-error">([^<]*)</div>', page.text)
        assert said and html.unescape(said.group(1)).startswith("Category must be one of invitations,"), (
            page.text
        )
        api = _api(client, log, "/audit-events", since="2025-12-07", until="2025-12-01").json()
        assert api["errors"][0]["message"] == "until must be the same day as since or after it."

    def test_every_bad_filter_is_said_at_once(self, client, db):
        """Days out of order, a category not in the list and who did it not an address: all
        three said (only the category's was), each filter marked."""
        log = _log(db)
        login(client, log.pf.owner_email, OWNER_PASSWORD)
        params = {"since": "2025-12-07", "until": "2025-12-01", "category": "bogus", "actor": "bad@"}
        page = client.get(f"/p/{log.pf.slug}/audit", params=params)
        assert page.status_code == 422
        said = re.search(
            r'<div class="notice error" role="alert" id="audit-error">(.*?)</div>', page.text, re.S
        )
        assert said, page.text
        text = html.unescape(said.group(1))
        assert "Category must be one of invitations," in text, text
        assert "The “to” day must be the same day as the “From” day or after it." in text, text
        assert "“bad@” is not a valid email address or phone number." in text, text
        for field in ("audit-category", "audit-until", "audit-actor"):
            assert re.search(rf'<(select|input) id="{field}"[^>]*aria-invalid="true"', page.text), field

    def test_a_bad_address_for_who_did_it_is_said_under_the_filter(self, client, db):
        """``actor=bad@`` is refused as the API refuses it (it was taken silently, added to "Who
        did it", no error), said beside the form, the other filters kept."""
        log = _log(db)
        login(client, log.pf.owner_email, OWNER_PASSWORD)
        params = {"actor": "bad@", "category": "invitations", "since": "2025-12-05"}
        page = client.get(f"/p/{log.pf.slug}/audit", params=params)
        assert page.status_code == 422, page.text
        api = _api(client, log, "/audit-events", actor="bad@").json()["errors"][0]["message"]
        # In words, what was typed quoted (it read "actor must be …: There must be something…").
        not_valid = "“bad@” is not a valid email address or phone number."
        assert api == f"{not_valid} There must be something after the @-sign."
        said = re.search(r'<div class="notice error" role="alert" id="audit-error">([^<]*)</div>', page.text)
        assert said and html.unescape(said.group(1)) == api, page.text
        assert re.search(r'<select id="audit-actor"[^>]*aria-invalid="true"', page.text), page.text
        assert '<option value="invitations" selected>' in page.text
        assert 'name="since" type="date" value="2025-12-05"' in page.text


class TestCli:
    def test_audit_list_with_filters(self, run_cli, db):
        log = _log(db)
        args = ["audit", "list", "--portal", log.pf.slug, "--since", "2025-12-05", "--until", "2025-12-06"]
        result = run_cli(*args, "--actor", "owner@acme.com", "--category", "invitations", "--json")
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        assert [e["target_label"] for e in out["items"]] == ["late@example.com", "early@example.com"]
        assert (out["total"], out["next_cursor"]) == (2, None)
        stopped = json.loads(run_cli(*args, "--limit", "1", "--json").stdout)
        assert (len(stopped["items"]), stopped["total"]) == (1, 3) and stopped["next_cursor"]
        text = run_cli(*args, "--actor", "ada@example.com")
        assert text.output.splitlines() == [
            "When                  What                             Action              From",
            "2025-12-06 12:00 UTC  ada deactivated bob@example.com  member.deactivated  127.0.0.1",
        ], text.output

    def test_audit_list_is_a_table_whatever_the_words(self, run_cli, db):
        """``audit list`` is a table (``cli._shared.print_table``): a line in wide letters or
        with an emoji, and a long one, leave the action and where it came from in line under
        their headers (padded by hand, the action moved with each line's length); an event with
        no address reads "—" there."""
        log = _log(db)
        with db.unit_of_work() as session:
            owner = actor_for(session, log.pf.slug, log.pf.owner_email)
            for target, when in (
                ("王小明@例え.jp", "2025-12-09T09:00:00"),
                ("🚀 Launch crew of the Acme Incorporated Worldwide Holdings portal", "2025-12-09T10:00:00"),
            ):
                event = audit_service.record(
                    session, owner, "invitation.revoked", target_type="x", target_label=target
                )
                event.created_at, event.ip = _at(when), None
        lines = run_cli("audit", "list", "--portal", log.pf.slug, "--since", "2025-12-09").output.splitlines()
        assert lines[0].split() == ["When", "What", "Action", "From"], lines
        assert "王小明@例え.jp" in lines[2] and "🚀 Launch crew" in lines[1], lines
        at = starts(lines[0], "Action", "From")
        assert [starts(line, "invitation.revoked", "—") for line in lines[1:]] == [at, at], lines

    def test_no_matching_event_says_so(self, run_cli, db):
        """A filter that matches nothing says "No events." (not an empty output); --json stays
        the empty list."""
        log = _log(db)
        args = ["audit", "list", "--portal", log.pf.slug, "--since", "2030-01-01"]
        text = run_cli(*args)
        assert (text.exit_code, text.output) == (0, "No events.\n"), text.output
        out = json.loads(run_cli(*args, "--json").stdout)
        assert (out["items"], out["total"], out["next_cursor"]) == ([], 0, None)

    def test_bad_days(self, run_cli, db):
        log = _log(db)
        bad = run_cli("audit", "list", "--portal", log.pf.slug, "--since", "6 Dec")
        assert bad.exit_code == 2 and "--since" in bad.output
        # Said in the API's words, naming the option (it said "does not match the format
        # '%Y-%m-%d'"); the same words for a day that does not exist.
        for typed in ("2026-13-01", "6 Dec"):
            said = run_cli("audit", "list", "--portal", log.pf.slug, "--since", typed)
            assert said.exit_code == 2, said.output
            words = f"“{typed}” is not a day. A day, written YYYY-MM-DD (e.g. 2026-12-06)."
            assert f"Error: {words} (option --since)" in said.stderr, said.stderr
            assert "format" not in said.stderr
        backwards = run_cli(
            "audit", "list", "--portal", log.pf.slug, "--since", "2025-12-06", "--until", "2025-12-05"
        )
        # Naming the options, once (it said "until must be … as since … (option --until)").
        assert backwards.exit_code == 2, backwards.output
        assert "Error: --until must be the same day as --since or after it.\n" in backwards.stderr

    def test_a_bad_category_names_the_option(self, run_cli, db):
        """``--category bogus`` said "category must be one of …": the option, as click says it."""
        log = _log(db)
        bad = run_cli("audit", "list", "--portal", log.pf.slug, "--category", "bogus")
        assert bad.exit_code == 2, bad.output
        assert "Error: --category must be one of invitations, members, " in bad.stderr, bad.stderr
        assert "(option --category)" not in bad.stderr
