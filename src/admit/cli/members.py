"""The portal's people: ``users`` (the roster)."""

from __future__ import annotations

import json

import click

from admit.cli import _shared


@click.command()
@click.option("--portal", "slug", required=True)
@click.option("--type", "user_type", type=click.Choice(["internal", "client"]), default=None)
@click.option(
    "--status", type=click.Choice(["pending", "active", "deactivated", "expired", "revoked"]), default=None
)
@click.option("--json", "as_json", is_flag=True)
def users(slug, user_type, status, as_json) -> None:
    """List the portal's people: members, open invitations and pending link sign-ups (the
    roster User Management shows), newest first, every one of them."""
    from admit.people import roster as people_roster
    from admit.people.schemas import PersonRead

    rows = []
    with _shared.portal_session(slug) as (session, actor):
        cursor = None
        while True:
            page = people_roster.roster(
                session, actor, user_type=user_type, status=status, cursor=cursor, limit=500
            )
            rows += [PersonRead.of(r).model_dump(mode="json") for r in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
    if as_json:
        click.echo(json.dumps(rows))
        return
    for r in rows:
        click.echo(f"{r['status']:<12} {r['user_type']:<9} {r['role']:<7} {r['address']}  {r['name']}")
