"""The portal's invite link (Copy / Refresh / policy): ``links show|refresh|set``; ``link``, their
old name, for one release."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import click

from admit.cli import _shared
from admit.kit import text as kit_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from admit.actor import Actor
    from admit.links.models import LinkSignup
    from admit.links.views import LinkView


@click.group("links")
def links() -> None:
    """The portal's shareable invite link, or a workspace's (--workspace): show it, refresh it,
    set its policy."""


_WORKSPACE_OPTION = click.option(
    "--workspace",
    "workspace_ref",
    help="A workspace's link instead of the portal's: the workspace's id or name.",
)


def _workspace_id(session: Session, actor: Actor, workspace_ref: str) -> uuid.UUID:
    from admit.workspaces import service as workspaces_service

    return workspaces_service.by_id_or_name(session, actor, workspace_ref).id


def _link_json(view: LinkView) -> dict[str, Any]:
    from admit.links.schemas import InviteLinkRead

    return InviteLinkRead.of(view).model_dump(mode="json")


def _print_link(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _shared.echo_json(data)
        return
    click.echo(
        data["url"] or "(the URL cannot be rebuilt: the secret key changed; run `admit links refresh`)"
    )
    joins_as = data["user_type"] + (f" ({data['role']})" if data["user_type"] == "internal" else "")
    if data["kind"] == "workspace":  # who joins as what is chosen on approval
        joins_as = "asks to join: internal user or client, chosen on approval"
    uses = f"{data['uses']} of {data['max_uses']}" if data["max_uses"] else f"{data['uses']} (no limit)"
    click.echo(f"  status        {data['status']}")  # an off link's is "disabled"
    click.echo(f"  joins as      {joins_as}")
    if data["expires_at"]:
        expires = data["expires_at"]
    elif data["never_expires"]:
        expires = "never"
    else:
        expires = f"{data['lifetime_seconds'] // 86400} days after it is turned on"
    click.echo(f"  expires       {expires}")
    # "none" is what ``--domains none`` set: no domain rule (said with what it means).
    domains = ", ".join(data["allowed_domains"])
    click.echo(f"  domains       {'only ' + domains if domains else 'none (any email address may join)'}")
    if data["kind"] == "portal":
        click.echo(f"  products      {', '.join(data['products']) or 'none'}")
    click.echo(f"  places taken  {uses}")
    click.echo(f"  joined        {data['joined']}")


def _link_command(slug: str, as_json: bool, change: Callable[[Session, Actor], LinkView]) -> None:
    # Printed once committed: a refreshed URL is shown only when it is the one that works.
    with _shared.portal_session(slug) as (session, actor):
        data = _link_json(change(session, actor))
    _print_link(data, as_json)


@links.command("show")
@_shared.portal_option
@_WORKSPACE_OPTION
@_shared.json_option("the link")
def links_show(slug: str, workspace_ref: str | None, as_json: bool) -> None:
    """Print the link (Copy Link) and its policy; it only reads: before the link is made, says
    how to make it."""
    from admit.errors import LinkNotFound
    from admit.flows import workspace_links
    from admit.links import service as links_service

    with _shared.portal_session(slug) as (session, actor):
        try:
            if workspace_ref is None:
                view = links_service.portal_link(session, actor)
            else:
                view = workspace_links.show(session, actor, _workspace_id(session, actor, workspace_ref))
            data = _link_json(view)
        except LinkNotFound as exc:
            if as_json:
                _shared.refuse(exc)  # the API's GET: 404 link_not_found
            data = None
    if data is None and workspace_ref is not None:
        click.echo(
            f"No link for this workspace yet: `admit links set --portal {slug} --workspace"
            f" {workspace_ref}` makes it, as the workspace's page does."
        )
        return
    if data is None:
        click.echo(
            f"No invite link yet: `admit links set --portal {slug}` makes it (turned off until"
            " --enable), as User Management's Copy Link does."
        )
        return
    _print_link(data, as_json)


@links.command("signups")
@_shared.portal_option
@click.option(
    "--status", type=click.Choice(["pending", "confirmed", "expired"]), help="Only these (default: all)."
)
@_shared.list_json_option("sign-up")
def links_signups(slug: str, status: str | None, as_json: bool) -> None:
    """Who signed up through the link, newest first: address, name, status, when."""
    from admit.kit.pagination import every
    from admit.links import signups
    from admit.people.results import signup_reads

    with _shared.portal_session(slug) as (session, actor):
        rows = every(
            lambda cursor, limit: signups.list_signups(
                session, actor, status=status, cursor=cursor, limit=limit
            )
        )
        items = signup_reads(session, rows)
    # Every sign-up: the same shape as every other list.
    _shared.Listing(items, len(items)).table(
        as_json,
        ("Address", "Name", "Status", "Signed up"),
        lambda item: (item.email, item.name, item.status, _shared.when(item.created_at)),
        empty="Nobody has signed up through the link" + (f" ({status})." if status else "."),
    )


@links.command("remove-signup")
@_shared.portal_option
@_shared.json_option("the sign-up")
@click.argument("email")
def links_remove_signup(slug: str, as_json: bool, email: str) -> None:
    """Remove EMAIL's sign-up waiting for its confirmation: its confirmation link stops working
    and its place on the link is freed."""
    from admit.links import signups

    _on_signup(slug, email, signups.remove, as_json, "Removed the sign-up of {}.")


@links.command("resend-signup")
@_shared.portal_option
@_shared.json_option("the sign-up")
@click.argument("email")
def links_resend_signup(slug: str, as_json: bool, email: str) -> None:
    """Send EMAIL's sign-up waiting for its confirmation a new confirmation email (a new link, good
    for another 24 hours; the earlier one stops working)."""
    from admit.links import signups

    _on_signup(slug, email, signups.resend, as_json, "A new confirmation email is on its way to {}.")


def _on_signup(slug: str, email: str, act: Callable[..., LinkSignup], as_json: bool, said: str) -> None:
    """``act`` (``links.signups.remove`` or ``resend``) on the pending sign-up of ``email``,
    committed; then the sign-up as the API gives it (``--json``), or ``said`` of its address."""
    from admit.people.results import signup_reads

    with _shared.portal_session(slug) as (session, actor):
        done = signup_reads(session, [act(session, actor, email=email)])[0]
    if as_json:
        _shared.echo_json(done)
    else:
        click.echo(said.format(done.email))


@links.command("refresh")
@_shared.portal_option
@_WORKSPACE_OPTION
@_shared.json_option("the link")
def links_refresh(slug: str, workspace_ref: str | None, as_json: bool) -> None:
    """Refresh Link: print the new link; the previous one stops working at once."""
    from admit.flows import workspace_links
    from admit.links import service as links_service

    if workspace_ref is None:
        _link_command(slug, as_json, links_service.refresh_portal_link)
        return
    _link_command(
        slug,
        as_json,
        lambda session, actor: workspace_links.refresh(
            session, actor, _workspace_id(session, actor, workspace_ref)
        ),
    )


def _none_or_int(value: str | None, name: str) -> int | Literal["none"] | None:
    if value is None:
        return None
    if value.strip().lower() in ("none", "never", "unlimited", ""):
        return "none"
    try:
        return int(value)
    except ValueError:
        _shared.usage(f"{name} must be a whole number or 'none'.")


class _Changes(TypedDict, total=False):
    """What ``links set`` changes (``links.service.update_portal_link``): the options given."""

    user_type: str
    role: str
    lifetime_seconds: int
    never_expires: bool
    allowed_domains: list[str]
    products: list[str]
    max_uses: int | None
    enabled: bool


@links.command("set")
@_shared.portal_option
@click.option("--type", "user_type", type=click.Choice(["internal", "client"]), help="User type joiners get.")
@click.option("--role", type=click.Choice(["admin", "member"]), help="Role for internal joiners.")
@click.option(
    "--lifetime-days",
    help="Days the link lives (turning it on or Refresh starts it again), or 'none': it never expires.",
)
@click.option(
    "--domains",
    help="Allowed email domains, comma-separated (exact; subdomains only if listed), or 'none': no"
    " domain rule, any email address may join.",
)
@click.option("--max-uses", help="How many may sign up through the link, or 'none'.")
@_shared.products_option("The products joiners get (enabled in the portal)")
@click.option("--enable/--disable", "enabled", default=None, help="Turn the link on or off.")
@_WORKSPACE_OPTION
@_shared.json_option("the link")
def links_set(
    slug: str,
    workspace_ref: str | None,
    user_type: str | None,
    role: str | None,
    lifetime_days: str | None,
    domains: str | None,
    max_uses: str | None,
    products: list[str] | None,
    enabled: bool | None,
    as_json: bool,
) -> None:
    """Change the link's policy; options not given stay as they are. A workspace's link
    (--workspace) takes all but --type, --role and --products: who joins as what is chosen on
    approval."""
    from admit.flows import workspace_links
    from admit.links import service as links_service

    if workspace_ref is not None:
        given = {"--type": user_type, "--role": role, "--products": products}
        for option, value in given.items():
            if value is not None:
                _shared.usage(
                    f"{option} is for the portal's link: a workspace's joiners are chosen on approval."
                )
    changes: _Changes = {}
    if user_type is not None:
        changes["user_type"] = user_type
    if role is not None:
        changes["role"] = role
    days = _none_or_int(lifetime_days, "--lifetime-days")
    if days is not None:
        if days == "none":
            changes["never_expires"] = True  # an explicit choice, audited as such
        else:
            changes["lifetime_seconds"] = days * 24 * 3600
    if domains is not None:
        listed = kit_text.listed(domains)
        changes["allowed_domains"] = [] if [d.lower() for d in listed] in ([], ["none"]) else listed
    uses = _none_or_int(max_uses, "--max-uses")
    if uses is not None:
        changes["max_uses"] = None if uses == "none" else uses
    if products is not None:
        changes["products"] = products
    if enabled is not None:
        changes["enabled"] = enabled
    if workspace_ref is None:
        _link_command(
            slug, as_json, lambda session, actor: links_service.update_portal_link(session, actor, **changes)
        )
        return
    _link_command(
        slug,
        as_json,
        lambda session, actor: workspace_links.update(
            session, actor, _workspace_id(session, actor, workspace_ref), **changes
        ),
    )


link = _shared.alias(links, "link", "links")
