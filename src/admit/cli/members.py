"""The portal's people: ``members list`` (the roster User Management shows), ``members deactivate``
and ``members reactivate``; ``users``, the old name of ``members list``, for one release."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from admit.cli import _shared

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.orm import Session

    from admit.actor import Actor
    from admit.members.models import Member
    from admit.people.roster import RosterPage, RosterRow


@click.group("members")
def members() -> None:
    """The portal's people: list them (the roster), deactivate or reactivate a member."""


@members.command("list")
@_shared.portal_option
@click.option("--type", "user_type", type=click.Choice(["internal", "client"]), default=None)
@click.option(
    "--status", type=click.Choice(["pending", "active", "deactivated", "expired", "revoked"]), default=None
)
@click.option("--role", type=click.Choice(["owner", "admin", "member", "client"]), default=None)
@click.option(
    "--two-step",
    type=click.Choice(["set_up", "not_set_up"]),
    default=None,
    help="Members who have set up two-step verification, or not (no invitation or sign-up).",
)
@click.option("--search", "q", default=None, help="A name, email or phone number, or part of one.")
@_shared.list_options
@_shared.list_json_option("person")
def members_list(
    slug: str,
    user_type: str | None,
    status: str | None,
    role: str | None,
    two_step: str | None,
    q: str | None,
    limit: int | None,
    cursor: str | None,
    as_json: bool,
) -> None:
    """List the portal's people: members, open invitations and pending link sign-ups (the
    roster User Management shows), newest first, every one of them (--limit to stop early).

    Each line ends with the row's kind and id: a member's id is what deactivate and reactivate
    take, an invitation's what `admit invitations resend|revoke` take."""
    from admit.people import roster as people_roster
    from admit.people.schemas import PersonRead, shown_name

    last: dict[str, RosterPage] = {}

    def fetch(cursor: str | None, size: int) -> tuple[list[RosterRow], str | None]:
        last["page"] = people_roster.roster(
            session,
            actor,
            user_type=user_type,
            status=status,
            role=role,
            two_step=two_step,
            q=q,
            cursor=cursor,
            limit=size,
        )
        return last["page"].items, last["page"].next_cursor

    with _shared.portal_session(slug) as (session, actor):
        # The roster counts its matches with every page: the total comes with it.
        rows, total, next_cursor = _shared.walk(fetch, lambda: last["page"].total, cursor=cursor, limit=limit)
        listing = _shared.Listing([PersonRead.of(r) for r in rows], total, next_cursor)
    listing.table(
        as_json,
        ("Status", "Type", "Role", "Address", "Name", "Kind and id", "Last sent", "Delivery"),
        lambda p: (
            p.status,
            p.user_type,
            p.role,
            _shared.address(p.address),
            shown_name(p.kind, p.name),
            f"({p.kind} {p.id})",
            _shared.when(p.last_sent_at),
            _shared.delivery(p.delivery.status, p.delivery.error) if p.delivery else None,
        ),  # fmt: skip
        # As User Management says it.
        empty="Nobody matches." if any((user_type, status, role, two_step, q)) else "Nobody here yet.",
    )


@members.command("deactivate")
@_shared.portal_option
@_shared.json_option("the member")
@click.argument("member")
def members_deactivate(slug: str, as_json: bool, member: str) -> None:
    """Deactivate MEMBER (their email address, phone number or member id): their access to this
    portal ends at once, and only to this one (already deactivated: nothing to do)."""
    from admit.flows import members as members_flow

    def deactivate(session: Session, actor: Actor, member_id: uuid.UUID) -> Member:
        with _as_console(actor, member_id, "deactivate them"):
            return members_flow.deactivate(session, actor, member_id)

    _change(slug, as_json, member, deactivate, "{} is deactivated.", already="deactivated")


@members.command("reactivate")
@_shared.portal_option
@_shared.json_option("the member")
@click.argument("member")
def members_reactivate(slug: str, as_json: bool, member: str) -> None:
    """Reactivate MEMBER (their email address, phone number or member id): the same membership,
    with its role, type and products (already active: nothing to do)."""
    from admit.flows import members as members_flow

    _change(slug, as_json, member, members_flow.reactivate, "{} is active.", already="active")


@members.command("reset-two-factor")
@_shared.portal_option
@_shared.json_option("the member")
@click.argument("member")
def members_reset_two_factor(slug: str, as_json: bool, member: str) -> None:
    """Reset MEMBER's two-step verification (their email address, phone number or member id):
    their authenticator app and recovery codes stop working, and they set an app up again where
    the portal requires one. They are told by email."""
    from admit.flows import members as members_flow

    _change(slug, as_json, member, members_flow.reset_second_factor, "{}'s two-step verification is reset.")


@members.command("change")
@_shared.portal_option
@_shared.json_option("the member")
@click.option("--role", type=click.Choice(["owner", "admin", "member"]), help="an internal user's new role")
@_shared.products_option("The products they may use")
@_shared.confirm_owners_option
@click.argument("member")
def members_change(
    slug: str,
    as_json: bool,
    role: str | None,
    products: list[str] | None,
    owners_confirmed: bool,
    member: str,
) -> None:
    """Change MEMBER's role or products (their email address, phone number or member id), as
    Change role and products does in User Management; what is left out stays as it is. Making
    them an owner asks --confirm-owners."""
    from admit.audit import words
    from admit.flows import members as members_flow
    from admit.members import service as members_service
    from admit.members.schemas import MemberRead

    if role is None and products is None:
        _shared.usage("Say what to change: --role, --products, or both.")
    _shared.note_unused_confirm_owners(role, owners_confirmed)
    with _shared.portal_session(slug) as (session, actor):
        member_id = _member_id(session, actor, member, invited=_CHANGE_INVITATION)
        before = MemberRead.of(members_service.member_or_raise(session, actor, member_id))
        with _shared.owners_asked(), _as_console(actor, member_id, "change their role"):
            changed = members_flow.change_access(
                session, actor, member_id, role=role, products=products, owners_confirmed=owners_confirmed
            )
        after = MemberRead.of(changed)
    if as_json:
        _shared.echo_json(after)
        return
    who = _shared.address(after.user.email or after.user.phone)
    # Said as the Audit Log says the change (audit.words: "was “Member”, now “Admin”").
    said = [
        f"{who}'s {what} changed{words.was_now(action, {'from': old, 'to': new})}."
        for what, action, old, new in (
            ("role", "member.role_changed", before.role, after.role),
            ("products", "member.products_changed", before.products, after.products),
        )
        if old != new
    ]
    click.echo("\n".join(said) or f"{who} already has that access: nothing changed.")


@contextmanager
def _as_console(actor: Actor, member_id: uuid.UUID, doing: str) -> Iterator[None]:
    """Around a change of ``member_id``: the policy's refusal (``PermissionDenied``) when that is
    the member the console acts as (the first owner: ``_shared.operator``), which it says to
    "you" ("You cannot change your own role"), says who that is at the console and how
    ``doing`` is done instead."""
    from admit.errors import PermissionDenied

    try:
        yield
    except PermissionDenied as exc:
        if actor.member is None or actor.member.id != member_id:
            raise
        _shared.refuse(
            exc,
            more=f" The console acts as {actor.label}, the portal's first owner: {doing} signed in "
            "as another owner.",
        )


# What someone invited who has not joined is told to do instead (``_member_id``), by command:
# the words, and the `admit invitations …` command (given the invitation's id).
_WITHDRAW_INVITATION = ("To withdraw the invitation", "revoke")
_CHANGE_INVITATION = ("To change what their invitation offers", "change")


def _member_id(
    session: Session, actor: Actor, member: str, *, invited: tuple[str, str] = _WITHDRAW_INVITATION
) -> uuid.UUID:
    """MEMBER as typed: a member id (``members list`` ends each line with it), or the person's
    email address or phone number (``flows.members.member_by_address``). Someone invited who
    has not joined is refused with the ``admit invitations`` command that does for an
    invitation what was asked (``invited``: ``change`` for ``members change``, else ``revoke``)."""
    from admit.errors import InvalidInput, MemberNotFound
    from admit.flows import members as members_flow
    from admit.kit.ids import looks_partial, whole_id

    member_id = whole_id(member)
    if member_id is not None:
        return member_id
    try:
        return members_flow.member_by_address(session, actor, member).id
    except MemberNotFound as exc:
        invitation = exc.fields.get("invitation_id")
        if invitation is None and looks_partial(member):  # the first characters of an id
            raise InvalidInput(
                f"“{member.strip()}” is not a whole id: give the member's full id (`admit members list "
                f"--portal {actor.portal.slug}` ends each line with it), or their email address or "
                "phone number."
            ) from None
        if invitation is None:
            raise
        words, command = invited
        raise MemberNotFound(
            f"{exc.message} {words}: admit invitations {command} --portal {actor.portal.slug} {invitation}"
        ) from None


def _change(
    slug: str,
    as_json: bool,
    member: str,
    change: Callable[[Session, Actor, uuid.UUID], Member],
    said: str,
    *,
    already: str | None = None,
) -> None:
    """Change MEMBER (``_member_id``) and print it (``MemberRead``, as the API answers); when the
    member already had the status the change gives (``already``), it was nothing to do, and the
    text says so ("… is already deactivated: nothing changed.")."""
    from admit.members import service as members_service
    from admit.members.schemas import MemberRead

    with _shared.portal_session(slug) as (session, actor):
        member_id = _member_id(session, actor, member)
        before = members_service.member_or_raise(session, actor, member_id).status
        changed = MemberRead.of(change(session, actor, member_id))
    if as_json:
        _shared.echo_json(changed)
        return
    who = _shared.address(changed.user.email or changed.user.phone)
    if before == already:
        click.echo(f"{who} is already {already}: nothing changed.")
    else:
        click.echo(said.format(who))


users = _shared.alias(members_list, "users", "members list")
