"""Invitations: ``invite`` (addresses, or a file through a bulk import) and ``invitations
list|show|resend|revoke``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from admit import policy
from admit.cli import _shared
from admit.imports.file_types import FILE_TYPES_IN_WORDS

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.orm import Session

    from admit.actor import Actor
    from admit.db import Database
    from admit.invitations.models import Invitation


@click.command()
@_shared.portal_option
@click.option(
    "--type",
    "user_type",
    type=click.Choice(["internal", "client"]),
    required=True,
    help="Invite them as internal users (team members) or as clients; no default, as the API's user_type.",
)
@click.option(
    "--role", type=click.Choice(["owner", "admin", "member"]), default=None, help="Internal users only."
)
@_shared.products_option("The products to grant")
@click.option("--message", default=None, help="A personal message for the email.")
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"A {FILE_TYPES_IN_WORDS} file of emails or phone numbers (one per line, separated by , ; or tabs, "
    "or columns such as Email, Name, Role).",
)
@click.option(
    "--use-role-column",
    "role_column",
    is_flag=True,
    help="With --file: each row's Role cell is used, up to --role (Member when not given): a row asking"
    " for more is not invited; Owner rows with --role owner and --confirm-owners.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Only say what would happen (with --file: a preview). Exit 0 once said, rows to fix or not;"
    " 2 for a file refused as a whole.",
)
@click.option(
    "--confirm-owners",
    "owners_confirmed",
    is_flag=True,
    help="With --role owner (addresses or --file): yes, make the owners the preview (--dry-run)"
    " counts (the import page's confirmation; without it such a list is refused).",
)
@_shared.json_option('{"results": [...], "counts": {...}} (with --file: the import\'s status)')
@click.argument("recipients", nargs=-1)
def invite(
    slug: str,
    user_type: str,
    role: str | None,
    products: list[str] | None,
    message: str | None,
    file: Path | None,
    role_column: bool,
    dry_run: bool,
    owners_confirmed: bool,
    as_json: bool,
    recipients: tuple[str, ...],
) -> None:
    """Invite people by email or phone number: addresses as arguments, or a list with --file.

    A file goes through a bulk import: the same checks per row, a progress bar, and a summary
    (the per-row report is in User Management and the API). --dry-run previews without writing.
    """
    from admit.errors import InvalidInput
    from admit.imports import service as imports_service
    from admit.invitations import service as invitations_service
    from admit.invitations.options import check_options
    from admit.people.results import recipient_results

    items = list(recipients)
    _shared.note_unused_confirm_owners(role, owners_confirmed)
    if file is not None:
        if items:
            _shared.usage("Give addresses as arguments or --file, not both.")
        options = _FileOptions(user_type, role, products or [], message, role_column, owners_confirmed)
        _import_file(slug, file, options, dry_run, as_json)
        return
    if not items:
        _shared.usage("Give addresses as arguments or --file.")
    if dry_run:
        preview = _preview_text(slug, "\n".join(items), user_type, role, products or [], message)
        _print_preview(preview, as_json, slug=slug)
        _say_owners(preview, owners_confirmed, as_json)
        return  # a preview that did its work is done (exit 0), rows to fix or not
    with _shared.portal_session(slug) as (session, actor):
        # Owners given on the command line are confirmed as a file's are (the import's rule).
        asked = check_options(actor, user_type=user_type, role=role, products=products or [], message=message)
        try:
            imports_service.check_owners_confirmed(asked, confirmed=owners_confirmed)
        except InvalidInput as exc:
            _shared.refuse(exc, more=f" {_CONFIRM_OWNERS}")
        batch = invitations_service.invite(
            session,
            actor,
            recipients=items,
            user_type=user_type,
            role=role,
            products=products or [],
            message=message,
        )
        answer = recipient_results(
            session,
            batch.results,
            resend_how=lambda invitation: _resend_how(slug, invitation.recipient),
            reactivate_how=lambda address: _shared.reactivate_how(slug, address),
        )
        addresses = [r.address for r in batch.results]
    if as_json:
        _shared.echo_json(answer)
    else:
        _shared.print_results(answer, addresses=addresses, user_type=user_type)
    _shared.finish(_shared.results_exit_code(answer))


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            yield chunk


def _print_preview(preview: dict[str, Any], as_json: bool, *, slug: str) -> None:
    if as_json:
        _shared.echo_json(preview)
        return
    from admit.imports import service as imports_service

    click.echo(f"{preview['total']} {'row' if preview['total'] == 1 else 'rows'}")
    for code, count in preview["counts"].items():
        if not count and code != "will_invite":
            continue  # every outcome is counted; only those that happen are worth a line
        click.echo(f"  {count:>8}  {imports_service.outcome_words(code)}")
        if code != "will_invite":
            for sample in preview["samples"].get(code, []):
                what = sample["email"] or sample["recipient"]
                click.echo(f"          {_row_line(sample['row'], what, sample['detail'], slug=slug)}")


def _row_line(number: int, what: str | None, why: str, *, slug: str) -> str:
    """A row not invited, as the preview and the import's summary list it: its number, its
    address (or the row as written when it has none usable), why (someone already invited: the
    command that sends it again, where the pages say Reinvite)."""
    from admit.invitations import pipeline

    if what:
        why = pipeline.resend_said(why, _resend_how(slug, what))
        why = pipeline.reactivate_said(why, _shared.reactivate_how(slug, what))
    return f"row {number}: {what or 'no address'} — {why}"


def _resend_how(slug: str, address: str) -> str:
    """The command that sends an invitation again, where the pages say Reinvite (``address`` as
    stored: a number copied from here is one argument, unspaced)."""
    return f"`admit invitations resend --portal {slug} {address}`"


def _preview_text(
    slug: str,
    text: str,
    user_type: str,
    role: str | None,
    products: list[str],
    message: str | None,
) -> dict[str, Any]:
    """The preview of addresses given as arguments, as a file's (``imports.service.preview``)."""
    from admit.imports import service as imports_service

    with _shared.portal_session(slug) as (session, actor):
        return imports_service.preview(
            session,
            actor,
            chunks=[text.encode("utf-8")],
            user_type=user_type,
            role=role,
            products=products,
            message=message,
        )


def _say_owners(preview: dict[str, Any], owners_confirmed: bool, as_json: bool) -> None:
    """After a preview that makes owners: how to send it (the import page's confirmation)."""
    owners = preview["roles"].get("owner", 0)
    if not as_json and owners and not owners_confirmed:
        who = "1 will be an owner" if owners == 1 else f"{owners:,} will be owners"
        click.echo(
            f"{who}: add --confirm-owners to send the list (owners can do everything,"
            " including removing you)."
        )


@dataclass(frozen=True, slots=True)
class _FileOptions:
    user_type: str
    role: str | None
    products: list[str]
    message: str | None
    role_column: bool
    owners_confirmed: bool


_CONFIRM_OWNERS = "Preview it with --dry-run, then add --confirm-owners to send it."


def _import_file(slug: str, path: Path, o: _FileOptions, dry_run: bool, as_json: bool) -> None:
    """``admit invite --file``: preview, or import with a progress bar. A list that can make
    owners is created as a preview and confirmed (``--confirm-owners``), as the import page
    does (``imports.service.confirm``)."""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from admit.errors import DomainError
    from admit.imports import jobs as imports_jobs
    from admit.imports import service as imports_service
    from admit.imports.models import DONE, FAILED, InvitationImport
    from admit.invitations import pipeline

    settings = _shared.settings()
    db = _shared.database(settings)
    try:
        with db.unit_of_work() as session:
            actor = _shared.operator(session, slug)
            if dry_run:
                preview = imports_service.preview(
                    session,
                    actor,
                    chunks=_file_chunks(path),
                    filename=path.name,
                    user_type=o.user_type,
                    role=o.role,
                    products=o.products,
                    message=o.message,
                    role_column=o.role_column,
                )
            else:
                start = not o.owners_confirmed
                imp, created = imports_service.create(
                    session,
                    actor,
                    chunks=_file_chunks(path),
                    filename=path.name,
                    user_type=o.user_type,
                    role=o.role,
                    products=o.products,
                    message=o.message,
                    role_column=o.role_column,
                    start=start,
                )
                if not start:
                    imp = imports_service.confirm(session, actor, imp.id, owners_confirmed=True)
                import_id, total, made_at = imp.id, imp.total_rows, imp.created_at
                unused_roles = (
                    imports_service.role_cells(session, actor, import_id)
                    if o.user_type == "internal" and not imp.role_column and not as_json
                    else 0
                )
    except DomainError as exc:
        # Refused under the list's role for want of the owners' confirmation (the policy's rule).
        owners_refused = exc.fields.get("field") in ("role", "role_column") and (
            policy.owner_unconfirmed(o.role, confirmed=o.owners_confirmed, was=None) is not None
        )
        _shared.refuse(exc, more=f" {_CONFIRM_OWNERS}" if owners_refused else "")
    if dry_run:
        _print_preview(preview, as_json, slug=slug)
        if not as_json and o.user_type == "internal" and not preview["role_column"]:
            _say_unused_role_column(preview["role_cells"])
        if not as_json:
            _say_raise_to(preview)
        _say_owners(preview, o.owners_confirmed, as_json)
        return  # a preview that did its work is done (exit 0), rows to fix or not
    columns = (TextColumn("Inviting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, disable=as_json or not sys.stderr.isatty(), transient=False) as bar:
        task = bar.add_task("import", total=total)
        claimed = imports_jobs.claim(db, import_id) if created else None
        if claimed is not None:
            final = imports_jobs.run(
                db, *claimed, on_progress=lambda imp: bar.update(task, completed=imp.processed_rows)
            )
        else:
            # Another worker (e.g. the one inside `admit serve`) has it: follow its progress,
            # and take it over if that worker dies (its lease runs out).
            while True:
                with db.unit_of_work() as session:
                    final = imports_service.status_of(session.get_one(InvitationImport, import_id))
                bar.update(task, completed=final["processed"])
                if final["status"] in (DONE, FAILED):
                    break
                claimed = imports_jobs.claim(db, import_id)
                if claimed is not None:
                    final = imports_jobs.run(
                        db, *claimed, on_progress=lambda imp: bar.update(task, completed=imp.processed_rows)
                    )
                    break
                time.sleep(0.5)
        bar.update(task, completed=final["processed"])
    said = pipeline.summary(final["invited"], final["skipped"], user_type=o.user_type)
    if as_json:
        # ``created``: false when this is the earlier import of the same list (the API's field).
        _shared.echo_json({**final, "created": created})
    else:
        if created:
            click.echo(f"{said}.{f' {_shared.QUEUED}' if final['invited'] else ''}")
        else:  # the same list again the same day: the earlier import, nobody invited twice
            click.echo(
                f"Already imported on {_shared.when(made_at)} (import {import_id}); nothing sent now."
                f" Then: {said}."
            )
        _print_skipped(db, slug, import_id, sum(final["skipped"].values()))
        _say_unused_role_column(unused_roles)
        if o.role_column and final["skipped"].get("not_allowed"):
            click.echo(
                "Rows asking for a role above --role were not invited:"
                " --dry-run says which --role invites them."
            )
    skipped_codes = (code for code, n in final["skipped"].items() if n)
    _shared.finish(_shared.exit_code(skipped_codes, failed=final["status"] == FAILED))


SKIPPED_SHOWN = 10  # the rows not invited listed after an import's summary; its report has all


def _print_skipped(db: Database, slug: str, import_id: uuid.UUID, skipped: int) -> None:
    """The first rows a finished import did not invite: row number, address, why; then how
    many more (the import's page and its report list them all)."""
    from admit.imports import service as imports_service

    if not skipped:
        return
    with db.unit_of_work() as session:
        actor = _shared.operator(session, slug)
        rows = imports_service.first_skipped(session, actor, import_id, limit=SKIPPED_SHOWN)
        for r in rows:
            why = r.detail or imports_service.outcome_words(r.code)
            click.echo(f"  {_row_line(r.row_number, r.email or r.recipient, why, slug=slug)}")
    if skipped > len(rows):
        click.echo(
            f"  and {skipped - len(rows):,} more: every row is in the import's report "
            f"(User Management, or the API's …/invitation-imports/{import_id}/report.csv?outcome=skipped)."
        )


def _say_raise_to(preview: dict[str, Any]) -> None:
    """After a preview that uses the Role column: the rows asking for more than the list's role
    (``--role``), not invited, and the ``--role`` that invites them, as the preview page's
    "Invite up to Admin" does (``raise_to``: owners asked ``--confirm-owners`` too)."""
    raise_to, raisable = preview.get("raise_to"), preview.get("raisable", 0)
    if not preview["role_column"] or not raise_to or not raisable:
        return
    rows = "1 row asks" if raisable == 1 else f"{raisable:,} rows ask"
    confirm = " --confirm-owners" if raise_to == "owner" else ""
    click.echo(
        f"{rows} for a role above --role, so not invited: add --role {raise_to}{confirm} to invite up to"
        f" {raise_to.capitalize()} (rows with no role of their own get {raise_to.capitalize()} too)."
    )


def _say_unused_role_column(role_cells: int) -> None:
    """A list with a Role column imported without ``--use-role-column``: say it was not used
    (everyone has the list's role), as the import's preview page does."""
    if role_cells:
        rows = f"{role_cells:,} {'row' if role_cells == 1 else 'rows'}"
        click.echo(f"The file has a Role column ({rows}); it is not used: add --use-role-column to use it.")


# --- admit invitations list|resend|revoke -------------------------------------------------------


@click.group("invitations")
def invitations() -> None:
    """The portal's invitations: list them, show one (its delivery history), resend one (a new
    link), revoke one."""


@invitations.command("list")
@_shared.portal_option
@click.option("--status", type=click.Choice(["pending", "accepted", "expired", "revoked"]), default=None)
@click.option("--type", "user_type", type=click.Choice(["internal", "client"]), default=None)
@click.option("--search", "q", default=None, help="A name, email or phone number, or part of one.")
@_shared.list_options
@_shared.list_json_option("invitation")
def invitations_list(
    slug: str,
    status: str | None,
    user_type: str | None,
    q: str | None,
    limit: int | None,
    cursor: str | None,
    as_json: bool,
) -> None:
    """Every invitation, newest first (all pages; --limit to stop early), each with its id for
    resend and revoke."""
    from admit.invitations import service as invitations_service
    from admit.people.results import invitation_reads

    with _shared.portal_session(slug) as (session, actor):
        rows, total, next_cursor = _shared.walk(
            lambda cursor, size: invitations_service.list_invitations(
                session, actor, status=status, user_type=user_type, q=q, cursor=cursor, limit=size
            ),
            lambda: invitations_service.count_invitations(
                session, actor, status=status, user_type=user_type, q=q
            ),
            cursor=cursor,
            limit=limit,
        )
        listing = _shared.Listing(invitation_reads(session, rows), total, next_cursor)
    listing.table(
        as_json,
        ("ID", "Status", "Type", "Role", "Address", "Name", "Last sent", "Delivery"),
        lambda i: (
            str(i.id),
            i.status,
            i.user_type,
            i.role,
            _shared.address(i.recipient),
            i.recipient_name,
            _shared.when(i.last_sent_at),
            _shared.delivery(i.delivery.status, i.delivery.error),
        ),  # fmt: skip
        empty="No invitations.",
    )


@invitations.command("show")
@_shared.portal_option
@_shared.json_option("the invitation and its deliveries")
@click.argument("invitation")
def invitations_show(slug: str, as_json: bool, invitation: str) -> None:
    """One invitation and its delivery history: every message written for it (its first send,
    each Resend, each reminder), newest first, whatever became of each. INVITATION: its id, or
    its recipient's email address or phone number."""
    from admit.invitations import service as invitations_service
    from admit.invitations.schemas import InvitationDeliveryRead
    from admit.people.results import invitation_reads

    with _shared.portal_session(slug) as (session, actor):
        found = invitations_service.by_id_or_address(session, actor, invitation)
        (shown,) = invitation_reads(session, [found])
        rows, _total, _next = _shared.walk(
            lambda cursor, size: invitations_service.deliveries(
                session, actor, found.id, cursor=cursor, limit=size
            ),
            lambda: 0,  # never asked: every page is read
        )
        deliveries = [InvitationDeliveryRead.model_validate(row) for row in rows]
    if as_json:
        _shared.echo_json(
            {
                "invitation": shown.model_dump(mode="json"),
                "deliveries": [d.model_dump(mode="json") for d in deliveries],
            }
        )
        return
    name = f" ({shown.recipient_name})" if shown.recipient_name else ""
    click.echo(
        f"Invitation to {_shared.address(shown.recipient)}{name}: {shown.status}, {shown.user_type}, "
        f"{shown.role}; expires {_shared.when(shown.expires_at)}."
    )
    if not deliveries:
        click.echo("Nothing was sent for it.")
        return
    click.echo("Deliveries, newest first:")
    _shared.print_table(
        ("Kind", "Channel", "To", "Queued", "Sent", "Delivery"),
        [
            (
                d.kind,
                d.channel,
                _shared.address(d.to),
                _shared.when(d.queued_at),
                _shared.when(d.sent_at),
                _shared.delivery(d.status, d.error),
            )
            for d in deliveries
        ],
    )


@invitations.command("resend")
@_shared.portal_option
@_shared.json_option("the invitation")
@click.argument("invitation")
def invitations_resend(slug: str, as_json: bool, invitation: str) -> None:
    """Send a pending (or expired) invitation again with a new link; earlier links stop working.
    INVITATION: its id (``invitations list``), or its recipient's email address or phone number."""
    from admit.flows import invitations as invitations_flow

    _change(slug, as_json, invitation, invitations_flow.resend, "Invitation resent to {}.")


@invitations.command("revoke")
@_shared.portal_option
@_shared.json_option("the invitation")
@click.argument("invitation")
def invitations_revoke(slug: str, as_json: bool, invitation: str) -> None:
    """Revoke a pending (or expired) invitation: its link stops working. INVITATION: its id, or
    its recipient's email address or phone number."""
    from admit.flows import invitations as invitations_flow

    _change(
        slug,
        as_json,
        invitation,
        invitations_flow.revoke,
        "Invitation to {} revoked.",
        already=("revoked", "The invitation to {} was already revoked: nothing changed."),
        joined=" They have joined: `admit members deactivate --portal {} {}` ends their access.",
    )


def _change(
    slug: str,
    as_json: bool,
    named: str,
    change: Callable[[Session, Actor, uuid.UUID], Invitation],
    said: str,
    *,
    already: tuple[str, str] | None = None,
    joined: str | None = None,
) -> None:
    """Change the invitation ``named`` (its id or its recipient's address:
    ``invitations.service.by_id_or_address``) and print it (``InvitationRead``, as the API
    answers). ``already``: ``(status, words)``, what the text says instead when the invitation
    had that status before (the change was nothing to do). ``joined``: what the refusal of an
    accepted one adds (the command for a member, given the slug and the address); a deactivated
    member's refusal names ``admit members reactivate``."""
    from admit.errors import InvitationNotPending, MemberDeactivated
    from admit.invitations import pipeline
    from admit.invitations.models import ACCEPTED
    from admit.people.results import invitation_reads

    with _shared.portal_session(slug) as (session, actor):
        found = _named(session, actor, named)
        before, recipient = found.status, found.recipient
        try:
            changed = change(session, actor, found.id)
        except InvitationNotPending as exc:
            if joined is None or before != ACCEPTED:
                raise
            _shared.refuse(exc, more=joined.format(slug, recipient))
        except MemberDeactivated as exc:
            exc.message = pipeline.reactivate_said(exc.message, _shared.reactivate_how(slug, recipient))
            raise
        (invitation,) = invitation_reads(session, [changed])
    if as_json:
        _shared.echo_json(invitation)
    else:
        words = already[1] if already is not None and before == already[0] else said
        click.echo(words.format(_shared.address(invitation.recipient)))


def _named(session: Session, actor: Actor, text: str) -> Invitation:
    """INVITATION as typed (``invitations.service.by_id_or_address``); a piece of an id is
    refused there, and told here where the whole ones are."""
    from admit.errors import InvalidInput
    from admit.invitations import service as invitations_service
    from admit.kit.ids import looks_partial

    try:
        return invitations_service.by_id_or_address(session, actor, text)
    except InvalidInput as exc:
        if not looks_partial(text):
            raise
        _shared.refuse(
            exc, more=f" `admit invitations list --portal {actor.portal.slug}` shows each one's id."
        )


@invitations.command("change")
@_shared.portal_option
@_shared.json_option("the invitation")
@click.option("--role", type=click.Choice(["owner", "admin", "member"]), help="an internal user's role")
@_shared.products_option("The products it gives")
@_shared.confirm_owners_option
@click.argument("invitation")
def invitations_change(
    slug: str,
    as_json: bool,
    role: str | None,
    products: list[str] | None,
    owners_confirmed: bool,
    invitation: str,
) -> None:
    """Change what a pending (or expired) invitation offers, as User Management's Change role and
    products does on its row: its link and expiry stand and nothing is sent. INVITATION: its id,
    or its recipient's email address or phone number; what is left out stays as it is. Offering
    an owner's role asks --confirm-owners."""
    from admit.audit import words
    from admit.invitations import service as invitations_service
    from admit.people.results import invitation_reads

    if role is None and products is None:
        _shared.usage("Say what to change: --role, --products, or both.")
    _shared.note_unused_confirm_owners(role, owners_confirmed)
    with _shared.portal_session(slug) as (session, actor):
        found = _named(session, actor, invitation)
        before = (found.role, list(found.products or ()))
        with _shared.owners_asked():
            changed = invitations_service.change_offer(
                session, actor, found.id, role=role, products=products, owners_confirmed=owners_confirmed
            )
        (after,) = invitation_reads(session, [changed])
    if as_json:
        _shared.echo_json(after)
        return
    # Said as the Audit Log says the change (audit.words: "was “Member”, now “Admin”").
    recipient = _shared.address(after.recipient)
    said = [
        f"The {what} the invitation to {recipient} offers changed"
        f"{words.was_now(action, {'from': old, 'to': new})}."
        for what, action, old, new in (
            ("role", "invitation.role_changed", before[0], after.role),
            ("products", "invitation.products_changed", before[1], after.products),
        )
        if old != new
    ]
    click.echo("\n".join(said) or f"The invitation to {recipient} already offers that: nothing changed.")
