"""``scim-tokens create|list|revoke``: the portal's SCIM tokens for an identity provider (Okta,
Entra ID), as Settings → SCIM and the API make them (``directory.service``)."""

from __future__ import annotations

import uuid
from functools import partial

import click

from admit.cli import _shared


@click.group("scim-tokens")
def scim_tokens() -> None:
    """The portal's SCIM tokens (the directory's Bearer token for /scim/v2)."""


@scim_tokens.command("create")
@_shared.portal_option
@click.option("--name", default="SCIM", show_default=True, help="What uses it, e.g. Okta.")
@_shared.json_option('{"id": …, "token": "scim_…", "scim_token": {…}}')
def create(slug: str, name: str, as_json: bool) -> None:
    """Make a token; it is printed this once (only its hash is kept)."""
    from admit.directory import service as directory_service
    from admit.directory.schemas import ScimTokenCreated, ScimTokenRead

    with _shared.portal_session(slug) as (session, actor):
        raw, token = directory_service.issue_token(session, actor, name=name)
        made = ScimTokenCreated(id=token.id, token=raw, scim_token=ScimTokenRead.of(token))
    if as_json:
        _shared.echo_json(made)
    else:
        click.echo(made.token)


@scim_tokens.command("list")
@_shared.portal_option
@_shared.list_json_option("token")
def list_tokens(slug: str, as_json: bool) -> None:
    """The portal's SCIM tokens, newest first, revoked ones included; never their secrets."""
    from admit.directory import service as directory_service
    from admit.directory.schemas import ScimTokenRead
    from admit.kit.pagination import every

    with _shared.portal_session(slug) as (session, actor):
        rows = [ScimTokenRead.of(t) for t in every(partial(directory_service.list_tokens, session, actor))]

    def cells(r: ScimTokenRead) -> tuple[str, ...]:
        return ("revoked" if r.revoked_at else "active", r.name, f"scim_{r.prefix}_…", str(r.id))

    # Every token (every page read): the list shape of every command, one writer.
    _shared.Listing(rows, len(rows)).table(
        as_json, ("Status", "Name", "Prefix", "Id"), cells, empty="No SCIM tokens."
    )


@scim_tokens.command("revoke")
@_shared.portal_option
@click.argument("token_id", type=click.UUID)
def revoke(slug: str, token_id: uuid.UUID) -> None:
    """Revoke a token: the directory is refused from its next request."""
    from admit.directory import service as directory_service

    with _shared.portal_session(slug) as (session, actor):
        token, changed = directory_service.revoke_token(session, actor, token_id)
    # Revoked twice: nothing to do, exit 0 (as an invitation revoked twice).
    said = "is revoked." if changed else "was already revoked: nothing changed."
    click.echo(f"The SCIM token “{token.name}” {said}")


# The issue's (and some guides') singular spelling, ``admit scim-token create``: the same commands.
scim_token = click.Group(
    "scim-token", commands=scim_tokens.commands, hidden=True, help="The same as `admit scim-tokens`."
)
