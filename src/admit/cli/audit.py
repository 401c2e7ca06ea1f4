"""``audit list``: the portal's Audit Log in words, with the page's and the API's filters
(``people.activity``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from admit.cli import _shared

if TYPE_CHECKING:
    from admit.people.activity import Entry


@click.group("audit")
def audit() -> None:
    """The portal's Audit Log: who did what to whom, when, from where."""


@audit.command("list")
@_shared.portal_option
@click.option("--since", default=None, help="From this day (YYYY-MM-DD, the portal's time zone).")
@click.option("--until", default=None, help="To the end of this day (YYYY-MM-DD, the portal's time zone).")
@click.option(
    "--actor",
    "by",
    default=None,
    help="Who did it: an email, a phone number, a user id, or a label (hr:bamboohr).",
)
@click.option(
    "--category",
    default=None,
    help="invitations, members, sign-ins, links, workspaces, settings or directory.",
)
@click.option("--search", "q", default=None, help="Who or what, in part, or what was done (revoked).")
@_shared.list_options
@_shared.list_json_option("event")
def audit_list(
    slug: str,
    since: str | None,
    until: str | None,
    by: str | None,
    category: str | None,
    q: str | None,
    limit: int | None,
    cursor: str | None,
    as_json: bool,
) -> None:
    """List the portal's audit events, newest first, each in words as the Audit Log shows it,
    every one the filters match (--limit to stop early). Days are the portal's time zone's,
    both included; times are printed in UTC."""
    from admit.audit import service as audit_service
    from admit.audit.schemas import AuditEventRead
    from admit.people import activity

    with _shared.portal_session(slug) as (session, actor):
        # Days read as the Audit Log page reads them (refused in its words, naming the options).
        filters: dict[str, Any] = {
            **audit_service.days(since, until, named=("--since", "--until")),
            "by": by,
            "category": audit_service.category_named(category, named="--category"),
            "q": q,
        }

        def fetch(cursor: str | None, size: int) -> tuple[list[Entry], str | None]:
            return activity.log(session, actor, cursor=cursor, limit=size, **filters)

        rows, total, next_cursor = _shared.walk(
            fetch, lambda: activity.count(session, actor, **filters), cursor=cursor, limit=limit
        )
        listing = _shared.Listing([AuditEventRead.of(e.event, e.summary) for e in rows], total, next_cursor)
    listing.table(
        as_json,
        ("When", "What", "Action", "From"),
        lambda e: (_shared.when(e.created_at), e.summary, e.action, e.ip),
        empty="No events.",
    )
