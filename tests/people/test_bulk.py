"""Bulk actions on the roster (``flows.people_bulk``, ``POST …/people/bulk``): resend, revoke
and deactivate many at once through the worker, each row with the single action's checks, on
both backends."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from admit.invitations.models import Invitation
from admit.kit import clock
from admit.members.models import Member, User
from tests.factories import OWNER_PASSWORD, active_member, create_portal, invite, login


def _start(client, pf, **body):
    return client.post(f"/api/v1/portals/{pf.slug}/people/bulk", json=body, headers=pf.headers())


def _job(client, pf, job_id):
    r = client.get(f"/api/v1/portals/{pf.slug}/people/bulk/{job_id}", headers=pf.headers())
    assert r.status_code == 200, r.text
    return r.json()


def _preview(client, pf, headers) -> dict:
    """``GET …/people/bulk-preview`` of the internal users, as ``headers`` sign in."""
    r = client.get(
        f"/api/v1/portals/{pf.slug}/people/bulk-preview", params={"user_type": "internal"}, headers=headers
    )
    assert r.status_code == 200, r.text
    return r.json()


def _invitations(db) -> dict[str, Invitation]:
    with db.unit_of_work() as session:
        rows = session.scalars(select(Invitation)).all()
        session.expunge_all()
        return {i.recipient: i for i in rows}


class TestBulk:
    def test_resend_the_ticked_invitations(self, client, db, worker):
        pf = create_portal(db)
        invited = invite(db, pf, ["a@client.org", "b@client.org", "c@client.org"], user_type="client").invited
        worker.drain()
        r = _start(client, pf, action="resend", ids=[str(i.id) for i in invited[:2]])
        assert r.status_code == 202, r.text
        job = r.json()
        assert (job["status"], job["total"], job["done"]) == ("queued", 2, 0)
        worker.drain()
        job = _job(client, pf, job["id"])
        assert (job["status"], job["done"], job["counts"], job["skipped"]) == ("done", 2, {"done": 2}, "")
        sent = {k: v.send_count for k, v in _invitations(db).items()}
        assert sent == {"a@client.org": 2, "b@client.org": 2, "c@client.org": 1}
        # What was not done is said in words, as the page shows it (not "invitation not pending").
        revoked = client.post(
            f"/api/v1/portals/{pf.slug}/invitations/{invited[2].id}/revoke", headers=pf.headers()
        )
        assert revoked.status_code == 200, revoked.text
        r = _start(client, pf, action="resend", ids=[str(i.id) for i in invited])
        assert r.json()["skipped"] == ""  # nothing said before it is done
        worker.drain()
        job = _job(client, pf, r.json()["id"])
        assert job["counts"] == {"done": 2, "invitation_not_pending": 1}
        assert job["skipped"] == "1 skipped: 1 accepted or revoked already"

    def test_those_the_per_person_limit_held_are_said_with_when_to_try_again(
        self, client, db, worker, rate_limits
    ):  # noqa: ARG002
        """Reinvite of people emailed a moment ago skips them (the per-person limit); the job's
        words said "2 skipped: 2 messaged too often to send again yet", not when: they say when
        to try again (the longest wait, as of when they are read), then that it may be now."""
        pf = create_portal(db)
        invited = invite(db, pf, ["a@client.org", "b@client.org"], user_type="client").invited
        worker.drain()
        with clock.travel(timedelta(seconds=20)):
            r = _start(client, pf, action="resend", ids=[str(i.id) for i in invited])
            worker.drain()
        with clock.travel(timedelta(seconds=30)):
            job = _job(client, pf, r.json()["id"])
        assert job["counts"] == {"recipient_rate_limited": 2}, job
        said = re.fullmatch(
            r"2 skipped: 2 messaged too often to send again yet \(try again in (\d+) seconds\)",
            job["skipped"],
        )
        assert said and 28 <= int(said.group(1)) <= 32, job["skipped"]
        with clock.travel(timedelta(seconds=70)):
            job = _job(client, pf, r.json()["id"])
        assert job["skipped"] == "2 skipped: 2 messaged too often to send again yet (they may be now)", job

    def test_revoke_every_pending_client_a_filter_matches(self, client, db, worker):
        """Internal invitations and members are left alone: the filter says clients, and revoke
        applies to invitations only."""
        pf = create_portal(db)
        invite(db, pf, [f"c{i}@client.org" for i in range(5)], user_type="client")
        invite(db, pf, ["staff@acme.com"])
        active_member(db, pf, "cleo@client.org", user_type="client")
        r = _start(client, pf, action="revoke", filter={"user_type": "client", "status": "pending"})
        assert r.status_code == 202 and r.json()["total"] == 5
        worker.drain()
        assert _job(client, pf, r.json()["id"])["counts"] == {"done": 5}
        statuses = {k: v.status for k, v in _invitations(db).items()}
        assert statuses == {**{f"c{i}@client.org": "revoked" for i in range(5)}, "staff@acme.com": "pending"}

    def test_reactivate_every_deactivated_member_a_filter_matches(self, client, db, worker):
        """Deactivated members come back with the role they had; active ones are not touched
        (the filter takes those the action applies to); the log says what was done."""
        pf = create_portal(db)
        for email in ("mel@acme.com", "ned@acme.com", "ola@acme.com"):
            active_member(db, pf, email)
        members = {
            m["user"]["email"]: m["id"]
            for m in client.get(f"/api/v1/portals/{pf.slug}/members", headers=pf.headers()).json()["items"]
        }
        for email in ("mel@acme.com", "ned@acme.com"):
            deactivated = client.post(
                f"/api/v1/portals/{pf.slug}/members/{members[email]}/deactivate", headers=pf.headers()
            )
            assert deactivated.status_code == 200, deactivated.text
        r = _start(client, pf, action="reactivate", filter={"status": "deactivated"})
        assert r.status_code == 202 and r.json()["total"] == 2, r.text
        worker.drain()
        assert _job(client, pf, r.json()["id"])["counts"] == {"done": 2}
        listed = client.get(f"/api/v1/portals/{pf.slug}/members", headers=pf.headers()).json()["items"]
        assert {m["status"] for m in listed} == {"active"} and len(listed) == 4
        log = client.get(f"/api/v1/portals/{pf.slug}/audit-events?category=members", headers=pf.headers())
        summaries = [e["summary"] for e in log.json()["items"]]
        assert any(s.endswith("finished reactivating 2 selected people: 2 reactivated") for s in summaries)

    def test_the_two_step_filter_takes_only_the_members_it_lists(self, client, db, worker):
        """``filter: {two_step: not_set_up}``: the members without an authenticator app, as
        ``GET …/people`` lists them; mel, who has one, stays active."""
        from admit.auth import second_factor
        from admit.kit import clock

        pf = create_portal(db)
        for email in ("mel@acme.com", "ned@acme.com"):
            active_member(db, pf, email)
        with db.unit_of_work() as session:
            mel = session.scalar(select(User).where(User.email == "mel@acme.com"))
            second_factor.begin(session, mel, issuer="Acme Inc")
            second_factor._factor(session, mel.id).confirmed_at = clock.now()
        r = _start(client, pf, action="deactivate", filter={"two_step": "not_set_up", "role": "member"})
        assert r.status_code == 202 and r.json()["total"] == 1, r.text
        worker.drain()
        with db.unit_of_work() as session:
            statuses = dict(
                session.execute(
                    select(User.email, Member.status).join(Member, Member.user_id == User.id)
                ).all()
            )
        assert statuses == {pf.owner_email: "active", "mel@acme.com": "active", "ned@acme.com": "deactivated"}

    def test_a_row_that_fails_is_counted_and_the_others_go_on(self, client, db, worker):
        """Deactivating the only owner is refused (as one by one); the member beside it goes."""
        pf = create_portal(db)
        active_member(db, pf, "mel@acme.com")
        with db.unit_of_work() as session:
            ids = dict(
                session.execute(select(User.email, Member.id).join(Member, Member.user_id == User.id)).all()
            )
        r = _start(client, pf, action="deactivate", ids=[str(ids[pf.owner_email]), str(ids["mel@acme.com"])])
        worker.drain()
        job = _job(client, pf, r.json()["id"])
        assert job["done"] == 2 and job["counts"]["done"] == 1 and sum(job["counts"].values()) == 2
        assert job["skipped"].startswith("1 skipped: 1 ") and "_" not in job["skipped"], job
        with db.unit_of_work() as session:
            status = dict(
                session.execute(
                    select(User.email, Member.status).join(Member, Member.user_id == User.id)
                ).all()
            )
        assert status == {pf.owner_email: "active", "mel@acme.com": "deactivated"}

    def test_the_preview_counts_what_the_job_then_takes(self, client, db, worker):
        """``GET …/people/bulk-preview`` with the filter a job would get: how many rows match and
        how many each action takes; the job started with that filter takes as many."""
        pf = create_portal(db)
        invite(db, pf, [f"c{i}@client.org" for i in range(4)], user_type="client")
        invite(db, pf, ["staff@acme.com"])
        active_member(db, pf, "cleo@client.org", user_type="client")
        url = f"/api/v1/portals/{pf.slug}/people/bulk-preview"
        r = client.get(url, params={"user_type": "client"}, headers=pf.headers())
        assert r.status_code == 200, r.text
        assert r.json() == {
            "total": 5,
            "applies": {"resend": 4, "revoke": 4, "deactivate": 1, "reactivate": 0},
        }
        started = _start(client, pf, action="revoke", filter={"user_type": "client"})
        assert started.json()["total"] == 4
        bad = client.get(url, params={"status": "gone"}, headers=pf.headers())
        assert bad.status_code == 422 and "status" in bad.text, bad.text

    def test_deactivate_leaves_out_whoever_asks_in_the_preview_and_the_job(self, client, db, worker):
        """The signed-in person (the owner, as the page asks) is not among those Deactivate
        takes: the preview counts the others ("up to 2", it said 3) and the job started with the
        same filter takes them alone, skipping nobody as "yourself"."""
        pf = create_portal(db)
        active_member(db, pf, "otto@acme.com", role="owner")
        active_member(db, pf, "mel@acme.com")
        signed_in = {"X-CSRF-Token": login(client, pf.owner_email, OWNER_PASSWORD)}
        assert _preview(client, pf, signed_in) == {
            "total": 3,
            "applies": {"resend": 0, "revoke": 0, "deactivate": 2, "reactivate": 0},
        }
        started = client.post(
            f"/api/v1/portals/{pf.slug}/people/bulk",
            json={"action": "deactivate", "filter": {"user_type": "internal"}},
            headers=signed_in,
        )
        assert started.json()["total"] == 2, started.text
        worker.drain()
        job = _job(client, pf, started.json()["id"])
        assert (job["counts"], job["skipped"]) == ({"done": 2}, ""), job

    def test_an_admin_is_offered_only_whom_the_single_action_allows(self, client, db, worker):
        """An admin's "Select all N matching": Deactivate counts neither owners (only an owner
        deactivates one) nor the admin; Reactivate neither a deactivated owner nor whom a
        directory deactivated (reactivated there). The job takes as many, and the page's ticks
        and row menus say the same of each row (one rule: ``people_bulk.applying``). It counted
        3 and 3."""
        import html
        import re

        from admit.directory import service as directory_service
        from admit.flows import members as members_flow
        from admit.members import service as members_service
        from tests.factories import actor_for

        pf = create_portal(db)
        roles = {
            "ada": "admin",
            "otto": "owner",
            "mel": "member",
            "ned": "member",
            "bo": "member",
            "olga": "owner",
        }
        for name, role in roles.items():
            active_member(db, pf, f"{name}@acme.com", role=role)
        with db.unit_of_work() as session:
            owner = actor_for(session, pf.slug, pf.owner_email)
            for email in ("ned@acme.com", "bo@acme.com", "olga@acme.com"):
                user = members_service.get_user_by_address(session, email)
                member = session.scalar(select(Member).where(Member.user_id == user.id))
                members_flow.deactivate(session, owner, member.id)
            directory_service.new_user(
                session, owner.portal.id, user_name="bo", user_name_key="bo", address="bo@acme.com",
                active=False, directory="SCIM (Okta)",
            )  # fmt: skip
        signed_in = {"X-CSRF-Token": login(client, "ada@acme.com")}
        assert _preview(client, pf, signed_in) == {
            "total": 7,
            "applies": {"resend": 0, "revoke": 0, "deactivate": 1, "reactivate": 1},
        }
        for action in ("deactivate", "reactivate"):
            started = client.post(
                f"/api/v1/portals/{pf.slug}/people/bulk",
                json={"action": action, "filter": {"user_type": "internal"}},
                headers=signed_in,
            )
            assert started.json()["total"] == 1, started.text
        page = client.get(f"/p/{pf.slug}/users").text
        applies = dict(re.findall(r'<tr data-address="([^"]+)".*?data-applies="([^"]*)"', page, re.S))
        assert {a: v for a, v in applies.items() if v} == {
            "mel@acme.com": "deactivate",
            "ned@acme.com": "reactivate",
        }
        with db.unit_of_work() as session:
            addresses = {
                str(member_id): address
                for member_id, address in session.execute(
                    select(Member.id, User.email).join(User, User.id == Member.user_id)
                )
            }
        menus = re.findall(
            r'data-confirm-action="[^"]+/members/([0-9a-f-]{36})/((?:de|re)activate)"', html.unescape(page)
        )
        assert sorted((addresses[member_id], action) for member_id, action in menus) == [
            ("mel@acme.com", "deactivate"),
            ("ned@acme.com", "reactivate"),
        ], menus

    def test_bad_requests_name_the_field(self, client, db):
        pf = create_portal(db)
        both = _start(client, pf, action="resend", ids=[], filter={})
        assert both.status_code == 422 and both.json()["field"] == "ids"
        nothing = _start(client, pf, action="resend", ids=[])
        assert nothing.status_code == 422 and nothing.json()["field"] == "ids"
        wrong = _start(client, pf, action="delete", ids=[])
        assert wrong.status_code == 422 and "action" in wrong.text
        missing = client.get(
            f"/api/v1/portals/{pf.slug}/people/bulk/00000000-0000-0000-0000-000000000000",
            headers=pf.headers(),
        )
        assert (missing.status_code, missing.json()["code"]) == (404, "bulk_job_not_found")


class TestBulkAudit:
    def test_each_persons_event_names_who_started_it_and_from_where(self, client, db, worker):
        """Every line a bulk action writes reads as if its starter had done it one by one: named
        as they are, from the address they started it from (the log's From), for resend, revoke
        and deactivate alike, beside the lines that say the bulk action was started (with how many
        were selected) and finished (with how many it did and skipped)."""
        pf = create_portal(db)
        invited = invite(db, pf, ["a@client.org", "b@client.org"], user_type="client").invited
        active_member(db, pf, "mel@acme.com")
        worker.drain()
        with db.unit_of_work() as session:
            mel = session.scalar(
                select(Member.id).join(User, Member.user_id == User.id).where(User.email == "mel@acme.com")
            )
        headers = {"X-CSRF-Token": login(client, pf.owner_email, OWNER_PASSWORD)}
        for body in (
            {"action": "resend", "ids": [str(i.id) for i in invited]},
            {"action": "revoke", "ids": [str(invited[0].id)]},
            {"action": "deactivate", "ids": [str(mel), str(invited[1].id)]},  # an invitation: skipped
        ):
            r = client.post(f"/api/v1/portals/{pf.slug}/people/bulk", json=body, headers=headers)
            assert r.status_code == 202, r.text
            worker.drain()
        events = client.get(f"/api/v1/portals/{pf.slug}/audit-events", headers=pf.headers()).json()["items"]
        by_person = [
            e
            for e in events
            if e["action"] in ("invitation.resent", "invitation.revoked", "member.deactivated")
        ]
        bulk = [e for e in events if e["action"].startswith("people.bulk_")]
        started = [e for e in bulk if not e["action"].endswith("_finished")]
        assert len(by_person) == 4 and len(started) == 3 and len(bulk) == 6
        assert {e["ip"] for e in by_person} == {started[0]["ip"]} != {None}
        assert all(e["summary"].startswith("Olive Owner ") for e in by_person + bulk)
        # The start says what was selected; the end, what was done and what was skipped.
        summaries = {e["summary"] for e in bulk}
        assert "Olive Owner started deactivating 2 selected people" in summaries
        assert "Olive Owner finished deactivating 2 selected people: 1 deactivated, 1 skipped" in summaries
        assert "Olive Owner finished revoking the invitations of 1 selected person: 1 revoked" in summaries


class TestBulkOnThePage:
    def test_the_finished_job_names_who_was_skipped_and_why(self, client, db, worker):
        """The page's summary of a finished job names each person skipped with the refusing
        service's reason ("1 skipped: 1 accepted or revoked already" named no one), and shows
        no progress left over ("60 of 60")."""
        pf = create_portal(db)
        invited = invite(db, pf, ["a@client.org", "Cy Young <c@client.org>"], user_type="client").invited
        worker.drain()
        revoked = client.post(
            f"/api/v1/portals/{pf.slug}/invitations/{invited[1].id}/revoke", headers=pf.headers()
        )
        assert revoked.status_code == 200, revoked.text
        r = _start(client, pf, action="resend", ids=[str(i.id) for i in invited])
        worker.drain()
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users?tab=clients&bulk={r.json()['id']}")
        assert page.status_code == 200, page.text
        box = page.text.split("data-bulk-job", 1)[1].split("</div>", 1)[0]
        assert "1 reinvited" in box and "<progress" not in box and " of 2" not in box, box
        assert (
            "<li><strong>Cy Young (c@client.org)</strong>: This invitation is revoked; "
            "only pending or expired invitations can be resent.</li>"
        ) in box, box

    def test_the_api_names_who_was_skipped_and_why_as_the_page_does(self, client, db, worker):
        """``GET …/people/bulk/{id}`` names each row skipped, who and why, from what the page
        reads (``flows.people_bulk.skipped_people``): its ``skipped`` counted them in words and
        named no one. An invitation's row and a member's; a row gone since is said by its
        reason alone."""
        pf = create_portal(db)
        invited = invite(db, pf, ["a@client.org", "Cy Young <c@client.org>"], user_type="client").invited
        worker.drain()
        base = f"/api/v1/portals/{pf.slug}"
        assert (
            client.post(f"{base}/invitations/{invited[1].id}/revoke", headers=pf.headers()).status_code == 200
        )
        r = _start(client, pf, action="resend", ids=[str(i.id) for i in invited])
        assert r.json()["skips"] == []
        worker.drain()
        job = _job(client, pf, r.json()["id"])
        assert job["skips"] == [
            {
                "id": str(invited[1].id),
                "code": "invitation_not_pending",
                "address": "c@client.org",
                "name": "Cy Young",
                "user_id": None,
                "why": "This invitation is revoked; only pending or expired invitations can be resent.",
            }
        ]
        # An API key acts as an admin, whom the policy does not let deactivate an owner.
        [owner] = [
            m
            for m in client.get(f"{base}/members", headers=pf.headers()).json()["items"]
            if m["user"]["email"] == pf.owner_email
        ]
        r = _start(client, pf, action="deactivate", ids=[owner["id"]])
        worker.drain()
        [skip] = _job(client, pf, r.json()["id"])["skips"]
        assert (skip["id"], skip["address"], skip["name"], skip["user_id"]) == (
            owner["id"],
            pf.owner_email,
            owner["user"]["name"],
            owner["user"]["id"],
        )
        assert skip["code"] in _job(client, pf, r.json()["id"])["counts"] and skip["why"], skip
