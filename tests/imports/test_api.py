"""The invitation-imports API through the real app, on both backends (``admit invite --file``:
tests/cli/test_invitations.py)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from admit.invitations.models import Invitation
from admit.kit import clock
from admit.notifications.models import DevMessage
from tests.factories import OWNER_PASSWORD, create_portal, csrf_of, login, member_joins, sign_in_page
from tests.imports.helpers import FILE, csv_bytes, pending_recipients, table_counts

PROBLEM = "application/problem+json"


def url(pf) -> str:
    return f"/api/v1/portals/{pf.slug}/invitation-imports"


def upload(client, pf, data: bytes = FILE, *, headers=None, filename="people.csv", **fields):
    form = {"user_type": "internal", **fields}
    return client.post(
        url(pf),
        files={"file": (filename, data, "text/csv")},
        data=form,
        headers=headers if headers is not None else pf.headers(),
    )


class TestUpload:
    def test_dry_run_is_a_preview(self, client, db):
        """multipart with dry_run=true: 200 with counts and samples; nothing written."""
        pf = create_portal(db)
        before = table_counts(db)
        r = upload(client, pf, dry_run="true")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"] == 6
        assert {code: n for code, n in body["counts"].items() if n} == {
            "will_invite": 2,
            "already_member": 1,
            "duplicate": 1,
            "invalid_recipient": 2,
        }
        assert body["counts"]["not_allowed"] == 0  # every outcome is counted, 0 or not
        assert [s["row"] for s in body["samples"]["invalid_recipient"]] == [6, 7]
        assert "bob@gmail.com" in body["samples"]["invalid_recipient"][0]["detail"]
        # The cell judged, apart from the row it stands in (the page bolds the cell, not the row).
        bob = body["samples"]["invalid_recipient"][0]
        assert (bob["cell"], bob["recipient"]) == ("bob@gmial.com", "bob@gmial.com,Bob,=cmd|' /C calc'!A0")
        assert table_counts(db) == before

    def test_preview_of_a_number_the_portal_does_not_text(self, client, db):
        """JSON ``dry_run`` of a UK number (the portal texts US numbers): 200, the row counted
        under ``sms_country_not_allowed``, where it answered 500 text/plain."""
        pf = create_portal(db)
        r = client.post(
            url(pf),
            json={"text": "+44 7911 123456\n", "user_type": "internal", "dry_run": True},
            headers=pf.headers(),
        )
        assert r.status_code == 200, r.text
        assert r.json()["counts"]["sms_country_not_allowed"] == 1

    @pytest.mark.parametrize("dry_run", ["true", "false"])
    def test_a_file_that_is_not_a_list_is_refused_by_its_type(self, client, db, dry_run):
        """A .pdf or an image would be read as lines of text and previewed as nonsense: refused,
        naming the types taken; nothing written. A name in capitals or without a type is read, and
        so is one whose last dot ends no type ("Clients v1.2")."""
        pf = create_portal(db)
        before = table_counts(db)
        for name in ("doc.pdf", "logo.svg", "people.csv.exe"):
            r = upload(client, pf, b"%PDF-1.4 ada@acme.com", filename=name, dry_run=dry_run)
            assert r.status_code == 422 and r.json()["field"] == "file", r.text
            assert r.json()["detail"].startswith(
                "Upload a .csv, .txt, .tsv or .xlsx file: this one is a ."
            ), r.text
        assert table_counts(db) == before
        for name in ("PEOPLE.CSV", "people", "Clients v1.2"):
            assert upload(client, pf, filename=name, dry_run=dry_run).status_code in (200, 202)

    def test_upload_runs_in_the_background(self, client, db, worker):
        """Without dry_run: 202 {id, status}; after the worker, GET shows the final counts."""
        pf = create_portal(db)
        r = upload(client, pf)
        assert r.status_code == 202, r.text
        body = r.json()
        assert body["status"] == "queued"
        assert body["total"] == 6
        assert body["created"] is True
        import_id = body["id"]
        assert pending_recipients(db) == []

        worker.run_once()

        r = client.get(f"{url(pf)}/{import_id}", headers=pf.headers())
        assert r.status_code == 200
        status = r.json()
        assert status["status"] == "done"
        assert (status["total"], status["processed"], status["invited"]) == (6, 6, 2)
        assert status["skipped"] == {"already_member": 1, "duplicate": 1, "invalid_recipient": 2}
        assert status["errors_url"] == f"{url(pf)}/{import_id}/report.csv?outcome=skipped"
        # ``created`` tells of the POST (this request made the import, or an earlier one with its
        # Idempotency-Key did): GET has none, where it answered null.
        assert "created" not in status
        document = client.get("/api/v1/openapi.json").json()
        assert "created" not in document["components"]["schemas"]["ImportStatus"]["properties"]
        assert pending_recipients(db) == ["ada@example.com", "grace@example.com"]
        with db.unit_of_work() as session:
            names = dict(session.execute(select(Invitation.recipient, Invitation.recipient_name)).all())
        assert names == {"ada@example.com": "Ada Lovelace", "grace@example.com": "Grace Hopper"}

    def test_an_import_held_by_the_sending_limit_says_when_it_goes_on(
        self, client, db, worker, change_settings, rate_limits
    ):
        """Over the portal's sending limit an import reads ``waiting`` with ``resume_at`` (this
        answered 500 while the status schema knew only the other five)."""
        change_settings(invite_rate_limit="1/hour")
        pf = create_portal(db)
        import_id = upload(client, pf).json()["id"]
        worker.run_once()
        r = client.get(f"{url(pf)}/{import_id}", headers=pf.headers())
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["status"], body["invited"]) == ("waiting", 1)
        assert body["resume_at"] is not None

    def test_worker_delivers_the_imported_invitations(self, client, db, worker):
        """The worker sends each imported invitation's email (dev mailbox)."""
        pf = create_portal(db)
        upload(client, pf)
        worker.run_once()  # runs the import
        worker.drain()  # delivers what it queued
        with db.unit_of_work() as session:
            to = sorted(session.scalars(select(DevMessage.to_address)).all())
        assert to == ["ada@example.com", "grace@example.com"]

    def test_drain_runs_the_import_and_delivers_its_emails(self, client, db, worker):
        """``worker.drain()`` alone (what the CLI and tests call) runs the import and sends its emails."""
        pf = create_portal(db)
        upload(client, pf)
        worker.drain()
        with db.unit_of_work() as session:
            assert session.scalar(select(func.count()).select_from(DevMessage)) == 2

    def test_json_text(self, client, db, worker):
        """JSON {text} (pasted lines) works like a file: preview with dry_run, else 202 and the worker."""
        pf = create_portal(db)
        text = "Ada Lovelace <ada@example.com>\ngrace@example.com\nnot-an-address\n"
        r = client.post(
            url(pf), json={"text": text, "user_type": "internal", "dry_run": True}, headers=pf.headers()
        )
        assert r.status_code == 200, r.text
        assert r.json()["counts"]["will_invite"] == 2
        r = client.post(
            url(pf), json={"text": text, "user_type": "internal", "role": "admin"}, headers=pf.headers()
        )
        assert r.status_code == 202, r.text
        worker.run_once()
        status = client.get(f"{url(pf)}/{r.json()['id']}", headers=pf.headers()).json()
        assert (status["status"], status["invited"], status["skipped"]) == (
            "done",
            2,
            {"invalid_recipient": 1},
        )
        with db.unit_of_work() as session:
            roles = set(session.scalars(select(Invitation.role)).all())
        assert roles == {"admin"}

    def test_idempotency_key_retry(self, client, db, worker):
        """The same Idempotency-Key again: 200 with the same id; nobody invited twice."""
        pf = create_portal(db)
        headers = {**pf.headers(), "Idempotency-Key": "upload-7f3a"}
        first = upload(client, pf, headers=headers)
        assert first.status_code == 202
        again = upload(client, pf, headers=headers)
        assert again.status_code == 200, again.text
        assert again.json()["id"] == first.json()["id"]
        assert again.json()["created"] is False
        other = upload(client, pf, csv_bytes(["other@example.com"]), headers=headers)
        assert other.status_code == 422, other.text
        assert other.json()["code"] == "idempotency_key_reused"
        assert other.json()["field"] == "Idempotency-Key"  # the one refusal, as every operation's
        worker.run_once()
        worker.run_once()
        assert pending_recipients(db) == ["ada@example.com", "grace@example.com"]

    def test_a_key_is_the_callers_own_not_its_owners(self, client, db):
        """Two API keys of one person are two callers: the second sending the first's key with
        another list gets an import of its own (202), where it was refused 422 (the key was
        scoped by the person)."""
        pf = create_portal(db)
        r = client.post(f"/api/v1/portals/{pf.slug}/api-keys", json={"name": "HR sync"}, headers=pf.headers())
        assert r.status_code == 201, r.text
        second = {"Authorization": f"Bearer {r.json()['secret']}", "Idempotency-Key": "nightly-1"}
        first = upload(client, pf, headers={**pf.headers(), "Idempotency-Key": "nightly-1"})
        assert first.status_code == 202, first.text
        theirs = upload(client, pf, csv_bytes(["other@example.com"]), headers=second)
        assert theirs.status_code == 202, theirs.text
        assert theirs.json()["id"] != first.json()["id"]
        again = upload(client, pf, csv_bytes(["other@example.com"]), headers=second)
        assert (again.status_code, again.json()["id"]) == (200, theirs.json()["id"]), again.text

    def test_a_key_is_kept_a_day(self, client, db):
        """An import's key is kept as every operation's is (24 hours): within them a retry is
        answered the import as it is now; after them the key is new again."""
        pf = create_portal(db)
        headers = {**pf.headers(), "Idempotency-Key": "upload-day"}
        first = upload(client, pf, headers=headers)
        assert first.status_code == 202, first.text
        with clock.travel(timedelta(hours=23)):
            again = upload(client, pf, headers=headers)
            assert (again.status_code, again.json()["id"]) == (200, first.json()["id"]), again.text
        with clock.travel(timedelta(hours=24, minutes=1)):
            later = upload(client, pf, csv_bytes(["later@example.com"]), headers=headers)
            assert later.status_code == 202, later.text
            assert later.json()["id"] != first.json()["id"]

    @pytest.mark.parametrize(
        ("key", "said"),
        [("", "give a key of 1 to 200 characters"), ("k" * 201, "At most 200 characters; this one has 201.")],
        ids=["empty", "too-long"],
    )
    def test_a_key_that_is_empty_or_too_long_is_refused_naming_the_header(self, client, db, key, said):
        """An import takes the key every operation takes (``idempotency.service.checked_key``):
        an empty one was taken for none, and one over 200 characters was stored (SQLite) or
        refused by PostgreSQL as too long for its column (a 500)."""
        pf = create_portal(db)
        before = table_counts(db)
        r = upload(client, pf, headers={**pf.headers(), "Idempotency-Key": key})
        assert r.status_code == 422, r.text
        problem = r.json()
        assert (problem["code"], problem["field"]) == ("invalid_input", "Idempotency-Key"), problem
        assert said in problem["detail"], problem["detail"]
        assert table_counts(db) == before

    def test_same_file_twice(self, client, db, worker):
        """A double click (the same file, no key) returns the first import with 200."""
        pf = create_portal(db)
        first = upload(client, pf)
        again = upload(client, pf)
        assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])

    def test_report_csv(self, client, db, worker):
        """report.csv: text/csv, one line per row, formula cells escaped; errors_url only the skipped rows."""
        pf = create_portal(db)
        import_id = upload(client, pf).json()["id"]
        worker.run_once()
        r = client.get(f"{url(pf)}/{import_id}/report.csv", headers=pf.headers())
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/csv")
        assert "attachment" in r.headers["content-disposition"]
        # Written as every export is (kit.sheets.csv_chunks): CRLF line ends, as RFC 4180 says.
        assert r.text.count("\r\n") == r.text.count("\n") > 1
        rows = list(csv.reader(io.StringIO(r.text)))
        assert rows[0] == ["row", "recipient", "email", "name", "outcome", "detail"]
        assert [(row[0], row[4]) for row in rows[1:]] == [
            ("2", "invited"),
            ("3", "invited"),
            ("4", "already_member"),
            ("5", "duplicate"),
            ("6", "invalid_recipient"),
            ("7", "invalid_recipient"),
        ]
        assert rows[5][3] == "Bob =cmd|' /C calc'!A0"  # first + last name: not a formula, left alone
        status = client.get(f"{url(pf)}/{import_id}", headers=pf.headers()).json()
        errors = client.get(status["errors_url"], headers=pf.headers())
        assert [row[0] for row in list(csv.reader(io.StringIO(errors.text)))[1:]] == ["4", "5", "6", "7"]

    def test_the_finished_page_lists_the_first_rows_not_invited(self, client, db, worker):
        """Done, the import's page names the rows that were not invited, in the list's order
        with each one's reason: the first 20, then how many in all and the CSV of every one."""
        pf = create_portal(db)
        rows = ["email,name", "ok@example.com,Ok"] + [f"bad{i:02d}-no-at-sign,Bad {i}" for i in range(25)]
        import_id = upload(client, pf, csv_bytes(rows)).json()["id"]
        worker.run_once()
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/imports/{import_id}")
        assert page.status_code == 200
        listed = re.findall(r'<tr data-code="(\w+)"><td data-label="Row">(\d+)</td>', page.text)
        assert listed == [("invalid_recipient", str(n)) for n in range(3, 23)]
        assert "the row:</span> “bad00-no-at-sign,Bad 0”" in page.text
        assert "The first 20 of 25." in page.text
        assert f"{import_id}/report.csv?outcome=skipped" in page.text

    def test_report_csv_escapes_formulas(self, client, db, worker):
        """A name cell starting with = + - @ is prefixed with an apostrophe in the download."""
        pf = create_portal(db)
        data = csv_bytes(
            ["email,name", "a@example.com,=cmd|' /C calc'!A0", "b@example.com,+1", "c@example.com,@x"]
        )
        import_id = upload(client, pf, data).json()["id"]
        worker.run_once()
        text = client.get(f"{url(pf)}/{import_id}/report.csv", headers=pf.headers()).text
        names = [row[3] for row in list(csv.reader(io.StringIO(text)))[1:]]
        assert names == ["'=cmd|' /C calc'!A0", "'+1", "'@x"]


class TestRefused:
    def test_member_cannot_import_internal_users(self, client, db, worker):
        """403 problem+json for a member importing internal users; clients are fine."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com", role="member")
        csrf = login(client, "mel@acme.com")
        r = upload(client, pf, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 403
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["code"] == "permission_denied"
        r = upload(client, pf, headers={"X-CSRF-Token": csrf}, user_type="client")
        assert r.status_code == 202, r.text

    def test_cookie_upload_needs_csrf(self, client, db):
        """A signed-in upload without X-CSRF-Token: 403 csrf_failed."""
        pf = create_portal(db)
        login(client, pf.owner_email, "owner-password-123")
        r = upload(client, pf, headers={})
        assert (r.status_code, r.json()["code"]) == (403, "csrf_failed")

    @pytest.mark.parametrize("as_json", [False, True])
    def test_bad_user_type_is_422_naming_the_field(self, client, db, as_json):
        """422 problem+json with field user_type, for multipart and for JSON."""
        pf = create_portal(db)
        if as_json:
            r = client.post(
                url(pf), json={"text": "a@example.com", "user_type": "robot"}, headers=pf.headers()
            )
        else:
            r = upload(client, pf, user_type="robot")
        assert r.status_code == 422
        assert r.headers["content-type"].startswith(PROBLEM)
        assert (r.json()["code"], r.json()["field"]) == ("invalid_input", "user_type")

    def test_a_json_boolean_is_true_or_false(self, client, db):
        """A JSON body's ``dry_run`` (``role_column``, ``draft``) is ``true`` or ``false``: ``"yes"``
        and ``1`` had been taken for true (the loose spellings are a multipart field's), and
        nothing is written."""
        pf = create_portal(db)
        before = table_counts(db)
        for name in ("dry_run", "role_column", "draft"):
            for loose in ("yes", 1, "true"):
                body = {"text": "a@example.com", "user_type": "client", name: loose}
                r = client.post(url(pf), json=body, headers=pf.headers())
                assert (r.status_code, r.json()["errors"]) == (
                    422,
                    [{"field": name, "message": "true or false."}],
                ), (name, loose, r.text)
        assert table_counts(db) == before
        body = {"text": "a@example.com", "user_type": "client", "dry_run": True}
        assert client.post(url(pf), json=body, headers=pf.headers()).status_code == 200

    @pytest.mark.parametrize("name", ["dry_run", "role_column", "draft"])
    def test_a_boolean_that_is_not_one_is_422_naming_it(self, client, db, name):
        """multipart ``dry_run=maybe`` (or role_column, draft): 422 naming the field, where it was
        taken for false and the invitations were sent; nothing written."""
        pf = create_portal(db)
        before = table_counts(db)
        r = upload(client, pf, **{name: "maybe"})
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith(PROBLEM)
        assert (r.json()["code"], r.json()["field"]) == ("invalid_input", name)
        assert [e["field"] for e in r.json()["errors"]] == [name]
        assert table_counts(db) == before

    def test_a_field_the_form_does_not_have_is_422_naming_it(self, client, db):
        """A misspelt ``dry-run`` (or ``dryRun``) is refused, not dropped: dropped, the import
        started for real. Nothing written (the reviewer's report)."""
        pf = create_portal(db)
        before = table_counts(db)
        r = upload(client, pf, **{"dry-run": "true", "dryRun": "true"})
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == ["dry-run", "dryRun"]
        assert r.json()["errors"][0]["message"].startswith(
            "Not a field of this form (it takes draft, dry_run, file,"
        )
        assert table_counts(db) == before

    @pytest.mark.parametrize(("given", "dry_run"), [("true", True), ("0", False), ("on", True), ("", False)])
    def test_booleans_read_as_json_reads_them(self, client, db, given, dry_run):
        """true/false, 1/0, on/off, yes/no are read as JSON's booleans are; an empty field is unset."""
        pf = create_portal(db)
        r = upload(client, pf, dry_run=given)
        assert r.status_code == (200 if dry_run else 202), r.text
        assert ("counts" in r.json()) is dry_run

    def test_a_bad_boolean_is_refused_before_the_same_file_is_found(self, client, db, worker):
        """The same file again with ``dry_run=maybe``: 422, not the earlier import's status."""
        pf = create_portal(db)
        first = upload(client, pf)
        assert first.status_code == 202, first.text
        again = upload(client, pf, dry_run="maybe")
        assert (again.status_code, again.json()["field"]) == (422, "dry_run")

    def test_every_fault_of_the_form_at_once(self, client, db):
        """No file, a field the form does not have, a bad user_type and a bad boolean: one 422
        listing all four."""
        pf = create_portal(db)
        r = client.post(
            url(pf),
            data={"user_type": "staff", "draft": "perhaps"},
            files={"other": ("x", b"x")},
            headers=pf.headers(),
        )
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == ["file", "other", "user_type", "draft"]
        assert r.json()["field"] == "file"

    def test_a_json_body_says_every_fault_in_the_apis_words(self, client, db):
        """JSON without ``text``, a bad ``user_type`` and ``dry_run``: all three in ``errors``, in
        the words every endpoint uses ("Required."), where only the first came, as pydantic said it."""
        pf = create_portal(db)
        r = client.post(url(pf), json={"user_type": "staff", "dry_run": "maybe"}, headers=pf.headers())
        assert r.status_code == 422, r.text
        body = r.json()
        assert sorted(e["field"] for e in body["errors"]) == ["dry_run", "text", "user_type"], body
        said = {e["field"]: e["message"] for e in body["errors"]}
        assert said["text"] == "Required."
        assert body["field"] == body["errors"][0]["field"]
        # The detail names each input at fault, in the order of ``errors`` (api.errors.named).
        assert body["detail"] == " ".join(f"{e['field']}: {e['message']}" for e in body["errors"])

    def test_binary_upload_is_422_file(self, client, db):
        """An image uploaded by mistake: 422 naming the field file; nothing written."""
        pf = create_portal(db)
        before = table_counts(db)
        png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
        r = upload(client, pf, png, filename="photo.png")
        assert r.status_code == 422
        assert (r.json()["field"], r.json()["code"]) == ("file", "invalid_input")
        assert table_counts(db) == before

    def test_missing_file_is_422(self, client, db):
        """multipart without the file field: 422 naming ``file``."""
        pf = create_portal(db)
        r = client.post(
            url(pf), data={"user_type": "internal"}, files={"other": ("x", b"x")}, headers=pf.headers()
        )
        assert (r.status_code, r.json()["field"]) == (422, "file")

    def test_file_in_a_text_field_is_422(self, client, db):
        """A file sent where a text field belongs (here ``message``): 422 naming it; nothing written."""
        pf = create_portal(db)
        before = table_counts(db)
        files = [("file", ("people.csv", FILE, "text/csv")), ("message", ("note.txt", b"hi", "text/plain"))]
        r = client.post(url(pf), data={"user_type": "internal"}, files=files, headers=pf.headers())
        assert (r.status_code, r.json()["field"], r.json()["code"]) == (422, "message", "invalid_input")
        assert table_counts(db) == before

    def test_no_credentials_is_401(self, client, db):
        """Without credentials: 401."""
        pf = create_portal(db)
        assert upload(client, pf, headers={}).status_code == 401

    def test_other_portals_import_is_404(self, client, db, worker):
        """An import is only visible in its own portal."""
        pf = create_portal(db)
        other = create_portal(db, name="Other Co", owner_email="boss@other.example")
        import_id = upload(client, pf).json()["id"]
        r = client.get(f"{url(other)}/{import_id}", headers=other.headers())
        assert (r.status_code, r.json()["code"]) == (404, "import_not_found")


class TestPreviewPage:
    def test_lists_the_outcomes_that_happen(self, client, db):
        """The preview counts every outcome (0 or not), and its page lists those with rows, and
        Will invite always: not a line for each of the pipeline's reasons nobody met."""
        pf = create_portal(db)
        made = upload(client, pf, draft="true")
        assert made.status_code in (200, 201, 202), made.text
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/imports/{made.json()['id']}")
        assert page.status_code == 200, page.text[:300]
        shown = re.findall(r'<tr data-outcome="([a-z_]+)"', page.text)
        assert shown == ["will_invite", "invalid_recipient", "duplicate", "already_member"], shown

    def test_each_outcomes_first_rows_end_with_how_many_more(self, client, db):
        """The tester's 23 rows: the preview listed each outcome's first rows and said nothing of
        the others. After the first ones, "and N more" (the outcome's count less those shown)."""
        pf = create_portal(db)
        data = csv_bytes(["email,name", *(f"p{i}@example.com,Person {i}" for i in range(12)), "bad@@x,Bad"])
        made = upload(client, pf, data, draft="true")
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/imports/{made.json()['id']}").text
        will = re.search(r'<tr data-outcome="will_invite">(.*?)</tr>', page, re.S).group(1)
        assert will.count("<div data-sample>") == 5, will
        assert re.search(r"<div [^>]*data-sample-more>and 7 more</div>", will), will
        bad = re.search(r'<tr data-outcome="invalid_recipient">(.*?)</tr>', page, re.S).group(1)
        assert "data-sample-more" not in bad

    def test_each_rows_reason_stands_apart_and_the_page_names_no_worker(self, client, db, worker):
        """A sample's name and its reason ran together ("Ken Thompson The part after…"): the
        reason is on a line of its own; the finished page says how the invitations go out in
        plain words (it said "through the worker")."""
        pf = create_portal(db)
        data = csv_bytes(["email,name", "ken@acme,Ken Thompson"])
        made = upload(client, pf, data, draft="true")
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/imports/{made.json()['id']}").text
        sample = re.search(r"<div data-sample>(.*?)</div>\s*</td>", page, re.S)
        assert sample, page
        said = re.compile(r"Ken Thompson <div class=\"hint\" data-sample-why>The part after the @-sign")
        assert said.search(sample.group(1)), sample.group(1)
        done = upload(client, pf, data).json()["id"]
        worker.run_once()
        page = client.get(f"/p/{pf.slug}/imports/{done}").text
        assert "Download report (CSV)" in page and "worker" not in page.split("<main", 1)[1], page

    def test_a_list_without_an_address_column_is_refused_before_a_preview(self, client, db):
        """The Invite box's Upload email list with "Foo,Bar": refused on the box in words that
        say which headings are read, no import made (it was previewed as two invalid rows)."""
        pf = create_portal(db)
        page = sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        users = client.get(f"/p/{pf.slug}/users")
        before = table_counts(db)
        r = client.post(
            f"/p/{pf.slug}/invitations",
            data={"csrf_token": csrf_of(users.text), "user_type": "internal", "role": "member"},
            files={"file": ("people.csv", b"Foo,Bar\nx,y\n", "text/csv")},
        )
        assert r.status_code == 422, (page.status_code, r.text[:300])
        assert "No Email or Phone column: the first row has Foo, Bar." in r.text
        assert "Email Address" in r.text
        assert table_counts(db) == before

    def test_rows_refused_for_their_role_are_let_in_in_one_click(self, client, db):
        """An owner's list of admins, its Role column used under Member: nobody can be invited,
        and the preview says exactly what lets them in, a button "Invite up to Admin" beside the
        reason (the tester read "Nobody in this list can be invited" and had to find the "up to"
        control); clicked, they are invited as admins. The unticked box says what ticking does."""
        pf = create_portal(db)
        data = csv_bytes(["email,name,role", "a@example.com,Ada,admin", "b@example.com,Bo,admin"])
        made = upload(client, pf, data, draft="true")
        import_id = made.json()["id"]
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/imports/{import_id}").text
        assert "They are ignored: everyone is invited as Member. Tick Use the Role column" in page
        used = client.post(
            f"/p/{pf.slug}/imports/{import_id}/role-column",
            data={"csrf_token": csrf_of(page), "use": "1", "role": "member"},
        ).text
        said = re.sub(r"\s+", " ", used)
        assert "2 rows ask for more than Member, so they are not invited." in said, said[-3000:]
        assert (
            "Nobody in this list can be invited as it is: rows ask for more than Member. "
            "Use Invite up to Admin above" in said
        )
        raise_form = re.search(r"<form [^>]*data-raise>.*?</form>", used, re.S)
        assert raise_form, used[-3000:]
        button = re.search(
            r'<button [^>]*name="role" value="admin"[^>]*>Invite up to Admin</button>', raise_form.group(0)
        )
        assert button, raise_form.group(0)
        raised = client.post(
            re.search(r'action="([^"]+)"', raise_form.group(0)).group(1),
            data={"csrf_token": csrf_of(used), "use": "1", "role": "admin"},
        ).text
        assert "Will invite: 2 as Admin" in raised and "data-raise" not in raised

    def test_the_preview_leads_back_to_another_upload(self, client, db):
        """A preview (and a report) has "Upload another file", reopening the Invite box's upload,
        beside the way back to User Management."""
        pf = create_portal(db)
        made = upload(client, pf, draft="true")
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/imports/{made.json()['id']}")
        link = re.search(r'<a [^>]*href="([^"]+)"[^>]*>Upload another file</a>', page.text)
        assert link, page.text[:600]
        assert "invite=file" in link.group(1)

    def test_large_counts_are_grouped_and_the_table_stacks_on_a_phone(self, client, db):
        """1,001 rows: "1,001 rows" and "Send 1,001 invitations" (they read "1001"); the outcomes
        table is a stacked list (cards on a phone, as the other lists), each cell labelled."""
        pf = create_portal(db)
        data = "".join(f"p{i}@example.com\n" for i in range(1001)).encode()
        made = upload(client, pf, data, draft="true")
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/imports/{made.json()['id']}")
        assert "1,001 rows" in page.text and "Send 1,001 invitations" in page.text
        assert '<td data-label="Rows" data-count>1,001</td>' in page.text
        table = re.search(r'<table class="([^"]+)"[^>]*>\s*<thead><tr><th>Outcome', page.text)
        assert table and "stack" in table.group(1).split(), page.text[:800]
