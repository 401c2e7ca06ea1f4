"""User Management: internal users and clients, invitations and members side by side."""

from __future__ import annotations

import contextlib
import functools
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from admit import context, policy
from admit.actor import Actor
from admit.auth import second_factor
from admit.bulk import service as bulk_service
from admit.directory import service as directory_service
from admit.errors import DomainError, InvalidInput
from admit.flows import invitations as invitations_flow
from admit.flows import members as members_flow
from admit.flows import people_bulk
from admit.imports import service as imports_service
from admit.imports.file_types import FILE_TYPES, FILE_TYPES_IN_WORDS
from admit.invitations import pipeline
from admit.invitations import service as invitations_service
from admit.invitations.codes import NOTHING_TO_DO, SkipCode
from admit.invitations.models import EXPIRED, Invitation
from admit.kit.routing import Router
from admit.kit.text import accented_letter
from admit.links import service as links_service
from admit.links import signups as links_signups
from admit.members import service as members_service
from admit.members.addresses import split_recipients
from admit.members.models import Member
from admit.notifications.models import DELIVERY_WORDS, RETRYING_WORD
from admit.pages.deps import (
    PageActor,
    allowed,
    check_csrf,
    faults_of,
    fitted_flash,
    forget_flash,
    named,
    named_for,
    owners_whom,
    page_start,
    pager,
    people_to_fix,
    read_flash,
    redirect,
    render,
    safe_next,
    set_flash,
    user_named_for,
)
from admit.people import roster as people_roster
from admit.people.roster import RosterRow
from admit.policy import Action
from admit.web import SessionDep

router = Router()
PAGE_SIZE = 50
INVITED_NAMED = 10  # the Invite report's "Invited: …", the first ones, then "and N more"
PASTED_FILE = "pasted-addresses.txt"  # admit.js sends a paste too big for a form field so


# The filters User Management keeps in its URL (with ``tab``, ``cursor`` and ``start``).
FILTERS = ("q", "status", "role", "product", "delivery", "two_step", "sort")


def _roster(
    session: Session, actor: Actor, tab: str, filters: dict[str, str], cursor: str | None
) -> dict[str, Any]:
    """One page of the roster for the tab (``people.roster``), each row told what the policy lets
    this actor do to it: deactivate it (or, once deactivated, reactivate it), change its role or
    products, reset its two-step verification."""
    page = people_roster.roster(
        session,
        actor,
        user_type="internal" if tab == "internal" else "client",
        cursor=cursor,
        limit=PAGE_SIZE,
        q=filters.get("q") or None,
        status=filters.get("status") or None,
        role=filters.get("role") or None,
        product=filters.get("product") or None,
        delivery=filters.get("delivery") or None,
        two_step=filters.get("two_step") or None,
        sort=filters.get("sort") or None,
    )
    me = actor.user.id if actor.user is not None else None
    # Whom a directory deactivated: the row says so, and why it has no Reactivate.
    held = directory_service.deactivated_by(
        session,
        actor.portal.id,
        [
            row.address
            for row in page.items
            if row.kind == "member" and row.status == members_service.DEACTIVATED
        ],
    )
    # Which of Resend, Revoke, Deactivate and Reactivate each row's menu offers and its tick
    # takes: what the bulk actions take, by one rule (``people_bulk.applying``).
    applies = people_bulk.applying(session, people_bulk.ACTIONS, page.items, actor, held=held)
    change_refusal = functools.cache(
        lambda role, is_self: policy.check_change_access(actor.role, role, is_self=is_self)
    )
    may_change = policy.can(actor.role, Action.MEMBER_CHANGE_ACCESS)
    changeable = {  # members, and open invitations (what they offer: ``invitations.service.is_open``)
        row.id
        for row in page.items
        if may_change
        and (row.kind == "member" or (row.kind == "invitation" and invitations_service.is_open(row.status)))
        and change_refusal(row.role, row.user_id == me) is None
    }
    return {
        "page": page,
        "applies": applies,  # row id → the actions it takes ("resend", "deactivate"…)
        "access_changeable": changeable,
        "directory_held": held,  # address → "SCIM (Okta)": whom the directory deactivated
        "factor_resettable": _factor_resettable(session, actor, page.items),
        "moved_on": people_roster.moved_on(session, actor.portal.id, page.items),
        "moved_on_words": people_roster.MOVED_ON_WORDS,
    }


def _factor_resettable(session: Session, actor: Actor, rows: Iterable[RosterRow]) -> set[uuid.UUID]:
    """The member rows whose two-step verification this actor may reset (an owner; not their
    own: ``policy``) and who have an authenticator app to reset (one query for the page, an
    owner's only). An account that also belongs to another portal is refused when asked, with
    the reason (``flows.members.reset_second_factor``)."""
    if not policy.can(actor.role, Action.MEMBER_RESET_SECOND_FACTOR):
        return set()
    members = {
        row.user_id: row.id
        for row in rows
        if row.kind == "member"
        and row.user_id is not None
        and policy.check_reset_second_factor(is_self=actor.user is not None and actor.user.id == row.user_id)
        is None
    }
    return {members[user_id] for user_id in second_factor.with_factor(session, members)}


def _other_tab_found(session: Session, actor: Actor, tab: str, filters: dict[str, str]) -> int:
    """How many the other tab holds for the same search and filters (a client has no role: that
    filter is left out), for a search that found nobody on this one."""
    wanted: dict[str, Any] = {k: v or None for k, v in filters.items() if k not in ("role", "sort")}
    other = "client" if tab == "internal" else "internal"
    return people_roster.roster(session, actor, user_type=other, limit=1, **wanted).total


# The Invite box's fields, the services' names to the page's (a refusal is said under its field).
_INVITE_FIELDS = {
    "recipients": "recipients",
    "text": "recipients",
    "file": "file",
    "user_type": "user_type",
    "role": "role",
    "products": "invite_products",
    "message": "message",
}


def _page(
    request: Request, session: Session, actor: Actor, *, tab: str, status_code: int = 200, **extra: Any
) -> Response:
    caps = policy.capabilities(actor.role)
    filters = {k: request.query_params.get(k, "") for k in FILTERS}
    if tab == "clients":
        filters["role"] = ""  # every client's role is client: the tab has no role filter to show one
    cursor = request.query_params.get("cursor")
    try:
        listing = _roster(session, actor, tab, filters, cursor)
    except InvalidInput as exc:  # a hand-edited URL: the list unfiltered, and why
        filters, cursor = dict.fromkeys(FILTERS, ""), None
        listing = _roster(session, actor, tab, filters, None)
        extra.setdefault("form_error", exc.message)
    start = page_start(request) if cursor else 1
    back = request.query_params.getlist("back")
    invite_link = links_service.open_portal_link(session, actor)[0] if caps.can(Action.LINK_MANAGE) else None
    share_link = caps.invite and invite_link is not None and request.query_params.get("invite") == "link"
    kept = {"tab": tab, **{k: v for k, v in filters.items() if v}}
    context = {
        "nav": "users",
        "tab": tab,
        "filters": filters,
        "filtered": any(filters[k] for k in FILTERS if k != "sort"),
        # How many of the filters a phone folds behind its Filters button are on (not the
        # search, which stays out, nor the order).
        "filters_on_count": sum(1 for k in FILTERS if k not in ("q", "sort") and filters[k]),
        # Nobody matching a search is told that accents count, by an accented letter of its own.
        "accent": accented_letter(filters["q"]),
        # ... and how many the other tab has for it, the search there (the tester searched the
        # wrong tab).
        "other_tab_found": _other_tab_found(session, actor, tab, filters)
        if filters["q"] and not listing["page"].items and not cursor
        else 0,
        "other_tab_url": "?"
        + urlencode(
            {"tab": "clients" if tab == "internal" else "internal", **{k: v for k, v in filters.items() if v}}
        ),
        "sorts": SORT_LABELS,
        "products": policy.ALL_PRODUCTS,
        "deliveries": people_roster.DELIVERIES,
        "delivery_words": DELIVERY_WORDS,
        "retrying_word": RETRYING_WORD,
        "delivery_words_json": DELIVERY_WORDS_JSON,
        "deliveries_max": people_roster.MAX_DELIVERIES,
        "file_types": FILE_TYPES,  # the upload's accept list and hint: what imports.parsing takes
        "file_types_in_words": FILE_TYPES_IN_WORDS,
        "start": start,
        "first_url": "?" + urlencode(kept),
        **pager(kept, cursor, listing["page"].next_cursor, start, back, size=PAGE_SIZE),
        "export_url": f"/api/v1/portals/{actor.portal.slug}/people.csv?"
        + urlencode(
            {
                "user_type": "internal" if tab == "internal" else "client",
                **{k: v for k, v in filters.items() if v},
            }
        ),
        "form": {"user_type": "client" if tab == "clients" or not caps.invite_internal else "internal"},
        # What the Invite box names when an internal invitee is not a colleague's (admit.js).
        "company_domain": members_service.own_company_domain(actor),
        "open_invite": request.query_params.get("invite") is not None,
        # Back on Share Invite Link (Refresh Link, Turn on): what was done is said in the dialog,
        # in its live region, not on top of the page under the dialog's overlay.
        "notice_in_dialog": share_link,
        # Copy Link shows the link: made (off) if there is none.
        "invite_link": invite_link,
        **listing,
    }
    # Reinvite and Resend Invite, a row's and the Invite report's, and a sign-up's Resend
    # confirmation, greyed out while they would be refused (the per-person limit, which both
    # resends ask: ``invitations.service.resend_waits``), with the seconds left, which admit.js
    # counts down before offering them.
    report = extra.get("report") or {}
    # A sign-up's row menu (Resend confirmation, Remove) is for whom may manage the invite link:
    # asked here once, for the template and the waits.
    context["may_manage_signups"] = may_manage_signups = caps.can(Action.LINK_MANAGE)
    context["resend_waits"] = invitations_service.resend_waits(
        session,
        [
            row.address
            for row in listing["page"].items
            if "resend" in listing["applies"].get(row.id, ()) or (may_manage_signups and row.kind == "signup")
        ]
        + [s["address"] for s in report.get("skipped", []) if s.get("invitation_id") and s.get("address")],
    )
    bulk_id = request.query_params.get("bulk")
    if bulk_id:
        with contextlib.suppress(ValueError, DomainError):  # a stale or hand-edited link: no box
            job = context["bulk_job"] = bulk_service.get_or_raise(session, actor, uuid.UUID(bulk_id))
            if job.status == "done":  # what it did, and whom it skipped and why
                kept_query = [(k, v) for k, v in request.query_params.multi_items() if k != "bulk"]
                context["bulk_close_url"] = "?" + urlencode(kept_query)
                context["bulk_skipped_said"] = people_bulk.skipped_said(session, job)
                context["bulk_skipped"] = [
                    {
                        "who": named_for(actor, s.address, s.name, person_id=s.user_id) if s.address else "",
                        "why": s.why,
                    }
                    for s in people_bulk.skipped_people(session, actor, job)
                ]
    bulk_actions = [
        str(action) for action, kind in people_bulk.ACTIONS.items() if policy.can(actor.role, kind.permission)
    ]
    context["bulk_actions"] = bulk_actions
    # Which of them each row on the page would take (its checkbox says so), for the question
    # to count them: "Deactivate 2 people? 3 of those selected cannot be…".
    context["bulk_applies"] = {
        row_id: " ".join(actions) for row_id, actions in context.get("applies", {}).items()
    }
    # "Select all N matching" (more than this page): what each action would take of all of them,
    # which the page's rows cannot tell (an expired invitation on page 3 is Resend's). Asked
    # when the button is pressed (GET …/people/bulk-preview), not counted for every page.
    context["bulk_preview_url"] = f"/api/v1/portals/{actor.portal.slug}/people/bulk-preview?" + urlencode(
        {k: v for k, v in _matching(tab, filters).items() if v}
    )
    context.update(extra)
    return render(request, "users/list.html", context, status_code=status_code)


def _matching(tab: str, filters: dict[str, str]) -> dict[str, Any]:
    """The list's filters as the roster reads them, for every row they match (no order)."""
    wanted: dict[str, Any] = {k: (v or None) for k, v in filters.items() if k != "sort"}
    return {**wanted, "user_type": "internal" if tab == "internal" else "client"}


# What admit.js calls a delivery as it updates a row: written once, not at each page.
DELIVERY_WORDS_JSON = json.dumps({**DELIVERY_WORDS, "retrying": RETRYING_WORD})

SORT_LABELS = {
    "-invited": "Newest first",
    "invited": "Oldest first",
    "name": "Name A–Z",
    "-name": "Name Z–A",
    "-last_sent": "Last sent",
    "status": "Status",
}


def _upload_chunks(upload: UploadFile) -> Iterator[bytes]:
    upload.file.seek(0)
    while chunk := upload.file.read(1024 * 1024):
        yield chunk


@router.get("/p/{slug}/users", name="users:list", dependencies=[allowed(policy.Action.MEMBER_VIEW)])
def users_list(request: Request, actor: PageActor, session: SessionDep, tab: str = "internal") -> Response:
    """The roster, a page at a time (search, status filter, Next page), and the Invite modal."""
    report = read_flash(request)
    response = _page(
        request, session, actor, tab="clients" if tab == "clients" else "internal", report=report
    )
    forget_flash(response, report)
    return response


@router.get("/p/{slug}/invitations", include_in_schema=False)
def invitations_reloaded(actor: PageActor) -> Response:
    """The Invite box's answer reloaded (its address is the form's): the list it came from."""
    return redirect(f"/p/{actor.portal.slug}/users")


# Whoever may invite anyone may invite clients: anyone else is refused in words of inviting
# before the box's page (User Management, which they may not see either) is shown.
@router.post(
    "/p/{slug}/invitations",
    name="invitations:create",
    dependencies=[Depends(check_csrf), allowed(policy.Action.INVITE_CLIENT)],
)
def invite_submit(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    recipients: str = Form(""),
    user_type: str = Form("internal"),
    role: str = Form(""),
    products: list[str] = Form(default=[]),
    message: str = Form(""),
    tab: str = Form("internal"),
    file: UploadFile | None = File(None),
    owners_confirmed: str = Form(""),
) -> Response:
    """The Invite modal's Send Invitation: shows a report of who was invited and who was skipped.

    An uploaded list, or a paste longer than one request takes, becomes a bulk import instead:
    the admin sees its preview and confirms before anything is sent. A Send that would make
    owners asks the owners' confirmation first (``_owners_unconfirmed``): nothing is sent, and
    the box stays open with everything kept, until it is given.
    """
    upload = file if file is not None and file.filename else None
    pasted = split_recipients(recipients) if upload is None else []
    chosen_role = policy.role_asked(user_type, role)
    # What the box shows again when it is not sent (refused, or asking first).
    form = {
        "recipients": recipients,
        "user_type": user_type,
        "role": role,
        "products": products,
        "message": message,
    }
    try:
        if upload is not None or len(pasted) > invitations_service.MAX_RECIPIENTS_PER_REQUEST:
            chunks: Iterable[bytes]
            if upload is not None:
                # A big paste comes as a file (admit.js, PASTE_AS_FILE): it is still a paste.
                filename = "" if upload.filename == PASTED_FILE else str(upload.filename)
                chunks = _upload_chunks(upload)
            else:
                # One recipient per line: the paste was already split on Enter, commas and semicolons.
                chunks, filename = iter(["\n".join(pasted).encode("utf-8")]), ""
            imp, _created = imports_service.create(
                session,
                actor,
                chunks=chunks,
                filename=filename,
                start=False,
                user_type=user_type,
                role=chosen_role,
                products=products,
                message=message,
            )
            return redirect(f"/p/{actor.portal.slug}/imports/{imp.id}")
        owners = _owners_unconfirmed(session, actor, form, chosen_role, owners_confirmed)
        if owners is not None:  # nothing sent, nothing written: asked first, the box open as it was
            return _page(request, session, actor, tab=tab, form=form, open_invite=True, ask_owners=owners)
        result = invitations_service.invite(
            session,
            actor,
            recipients=recipients,
            user_type=user_type,
            role=chosen_role,
            products=products,
            message=message,
        )
        # No one to invite with someone to fix (not an address, a mistyped domain: the box's
        # red chips): rolled back below, nothing goes out, and the box stays open with
        # everything kept, naming them. With someone to invite, they are, as the API and the
        # CLI invite them: the rows to fix are left out (the box's Send said so, counting the
        # check's ``sendable``), and the report names them, and why.
        wrong = None if result.invited else people_to_fix(result.skipped)
        if wrong is not None:
            raise wrong
        unasked = _owners_made_unasked(actor, result.invited, chosen_role, owners_confirmed)
        if unasked is not None:  # another request changed whom Send invites since it asked
            session.rollback()
            return _page(request, session, actor, tab=tab, form=form, open_invite=True, ask_owners=unasked)
    except DomainError as exc:
        session.rollback()
        faults = faults_of(exc, _INVITE_FIELDS)
        return _page(
            request,
            session,
            actor,
            tab=tab,
            form=form,
            form_error=faults["error"],
            field_errors=faults["field_errors"],
            error_field=faults["error_field"],
            open_invite=True,
            status_code=exc.status,
        )
    # Post/redirect/get: reloading the page must not send the form again.
    response = redirect(f"/p/{actor.portal.slug}/users?tab={_tab_of(user_type)}")
    # Someone listed twice is invited (or skipped) once: said apart, not as a person skipped.
    twice = [s.recipient[:120] for s in result.skipped if s.code == SkipCode.DUPLICATE]
    skipped = [s for s in result.skipped if s.code != SkipCode.DUPLICATE]
    codes = Counter(str(s.code) for s in skipped)
    skipped_said: list[dict[str, Any]] = [
        {
            "recipient": s.recipient[:120],
            "code": s.code,
            "detail": s.detail[:200],
            # Already invited: the invitation that stands can be resent from here (its
            # address: whether it may be yet, ``resend_waits``).
            "invitation_id": str(s.invitation_id) if s.invitation_id else None,
            "address": s.address if s.invitation_id else None,
            # A mistyped domain: "Invite cat@gmail.com" opens the box on the address meant.
            "meant": invitations_service.meant(s.recipient) if s.code == SkipCode.INVALID_RECIPIENT else None,
        }
        for s in skipped[:15]
    ]
    report: dict[str, Any] = {
        "invited_count": len(result.invited),
        # Who was invited, by name, the first ones (the cookie that carries the report is small).
        "invited": [
            named_for(
                actor, one.address or one.recipient, one.invitation.recipient_name if one.invitation else ""
            )
            for one in result.invited[:INVITED_NAMED]
        ],
        "summary": pipeline.summary(len(result.invited), dict(codes), user_type=user_type),
        # all: everyone invited; some: some skipped; none: nobody invited, someone refused;
        # nothing: nobody invited, each already in or invited (nothing to do: not an error).
        "tone": "all"
        if not skipped
        else "some"
        if result.invited
        else "nothing"
        if all(s.code in NOTHING_TO_DO for s in skipped)
        else "none",
        "listed_twice": twice[:15],
        "listed_twice_count": len(twice),
        "skipped": skipped_said,
        "skipped_count": len(skipped),
    }
    if any(said["meant"] for said in skipped_said):
        # ... as this Send invited (its user type, role and products), to be looked at and sent.
        report["sent_as"] = {"user_type": user_type, "role": chosen_role or "", "products": products}
    set_flash(request, response, fitted_flash(report, ("invited", "listed_twice", "skipped")))
    return response


def _owners_unconfirmed(
    session: Session, actor: Actor, form: dict[str, Any], role: str | None, owners_confirmed: str
) -> str | None:
    """Whom an Invite box's Send would make owners without the owners' confirmation
    (``policy.owner_unconfirmed``, as the CLI's ``--confirm-owners``, a list's preview and
    Change role and products ask it), asked before anything is written: those it would invite
    (``invitations.service.would_invite``, which refuses what Send refuses first), as its "Yes,
    make …." says them: "Mel Ray (mel@acme.com) an owner", "2 people owners"; None when it makes
    none, was confirmed, or has someone to fix first (Send says so)."""
    if policy.owner_unconfirmed(role, confirmed=bool(owners_confirmed), was=None) is None:
        return None
    invited = invitations_service.would_invite(
        session,
        actor,
        recipients=form["recipients"],
        user_type=form["user_type"],
        role=role,
        products=form["products"],
        message=form["message"],
    )
    return _owners_named(actor, [(one.address or one.text, one.name) for one in invited])


def _owners_made_unasked(
    actor: Actor, invited: list[pipeline.RecipientResult], role: str | None, owners_confirmed: str
) -> str | None:
    """Whom Send made owners without the owners' confirmation although it asked first
    (``_owners_unconfirmed``, which found nobody it would invite): someone another request
    made invitable meanwhile (an invitation revoked, a member removed). Said as that question
    says them; the caller puts nothing of it in the database. None: nobody."""
    if policy.owner_unconfirmed(role, confirmed=bool(owners_confirmed), was=None) is None:
        return None
    return _owners_named(
        actor,
        [
            (one.address or one.recipient, one.invitation.recipient_name if one.invitation else "")
            for one in invited
        ],
    )


def _owners_named(actor: Actor, people: list[tuple[str, str]]) -> str | None:
    """The owners' question's "Mel Ray (mel@acme.com) an owner" / "2 people owners" for
    ``people`` (address, name), the first ones named; None for nobody."""
    if not people:
        return None
    named = [named_for(actor, address, name) for address, name in people[: imports_service.OWNERS_NAMED]]
    return owners_whom(named, len(people))


def _list_url(actor: Actor, tab: str, back: str) -> str:
    """Where a row's action returns: the list as it was, its filters, sort and page (``back``:
    the query string the page had, sent by the confirmation), else the person's tab. Only a
    query string is taken, on the list's own path (and as ``safe_next`` follows any path)."""
    listed = f"/p/{actor.portal.slug}/users"
    if back.startswith("?") and len(back) <= 4096:
        return safe_next(listed + back, f"{listed}?tab={tab}")
    return f"{listed}?tab={tab}"


def _at_row(url: str, row: uuid.UUID) -> str:
    """``url`` (the list's) at the row of ``row`` (an invitation's, a member's, a sign-up's id):
    the page gives that row the focus back (admit.js), where the person left it."""
    return f"{url}#row-{row}"


def _row_action(
    session: Session, actor: Actor, back: str, row: uuid.UUID, act: Callable[[], tuple[str, str]]
) -> Response:
    """A row's action (``act`` does it and answers the person's user type and the notice to show)
    and back to the list as it was (``_list_url``) at that ``row`` (``_at_row``), the notice on
    top. Refused (Resend inside the per-person limit, a row gone meanwhile): nothing written, the
    reason on top as a refusal; not an error page out of the app."""
    try:
        user_type, notice = act()
    except DomainError as exc:
        session.rollback()
        return redirect(_at_row(_list_url(actor, "internal", back), row), notice=exc.message, refused=True)
    return redirect(_at_row(_list_url(actor, _tab_of(user_type), back), row), notice=notice)


def _tab_of(user_type: str) -> str:
    """The list's tab a person of ``user_type`` is on."""
    return "clients" if user_type == "client" else "internal"


@router.post(
    "/p/{slug}/invitations/{invitation_id}/resend",
    name="invitations:resend",
    dependencies=[Depends(check_csrf)],
)
def resend_submit(
    invitation_id: uuid.UUID,
    actor: PageActor,
    session: SessionDep,
    back: str = Form(""),
    said_as: str = Query("", alias="as"),
) -> Response:
    def act() -> tuple[str, str]:
        # Reinvite (the row's button and the Invite report's, ``as=reinvite``, and an expired
        # invitation's way back) or Resend (elsewhere), said done in the word it was asked in; the flow
        # reads the same invitation again from the session, no query more.
        before = invitations_service.get_or_raise(session, actor, invitation_id)
        expired = before.effective_status(context.of(session).clock.now()) == EXPIRED
        invitation = invitations_flow.resend(session, actor, invitation_id)
        who = named_for(actor, invitation.recipient, invitation.recipient_name)
        reinvite = expired or said_as == "reinvite"
        return invitation.user_type, (
            f"{who} reinvited: a new link is on its way." if reinvite else f"Invitation resent to {who}."
        )

    return _row_action(session, actor, back, invitation_id, act)


@router.post(
    "/p/{slug}/invitations/{invitation_id}/revoke",
    name="invitations:revoke",
    dependencies=[Depends(check_csrf)],
)
def revoke_submit(
    invitation_id: uuid.UUID, actor: PageActor, session: SessionDep, back: str = Form("")
) -> Response:
    def act() -> tuple[str, str]:
        invitation = invitations_flow.revoke(session, actor, invitation_id)
        return (
            invitation.user_type,
            f"Invitation to {named_for(actor, invitation.recipient, invitation.recipient_name)} revoked.",
        )

    return _row_action(session, actor, back, invitation_id, act)


@router.get("/p/{slug}/invitations/{invitation_id}/access", name="invitations:access")
def invitation_access_form(
    request: Request, invitation_id: uuid.UUID, actor: PageActor, session: SessionDep, back: str = ""
) -> Response:
    """Change role and products of a pending (or expired) invitation, from its row's menu: what
    it offers, put right without revoking it (``invitations.service.change_offer``)."""
    policy.require(actor.role, Action.MEMBER_CHANGE_ACCESS)
    return _invitation_access_form(
        request, session, actor, invitations_service.get_or_raise(session, actor, invitation_id), back
    )


@router.get("/p/{slug}/invitations/{invitation_id}/deliveries", name="invitations:deliveries")
def invitation_deliveries(
    request: Request,
    invitation_id: uuid.UUID,
    actor: PageActor,
    session: SessionDep,
    back: str = "",
    cursor: str | None = None,
) -> Response:
    """An invitation's delivery history, from its row's menu: every message written for it,
    newest first, 50 at a time (``invitations.service.deliveries``: for whoever may see it)."""
    invitation = invitations_service.get_or_raise(session, actor, invitation_id)
    rows, next_cursor = invitations_service.deliveries(session, actor, invitation.id, cursor=cursor, limit=50)
    older = None
    if next_cursor is not None:
        older = "?" + urlencode({"cursor": next_cursor, **({"back": back} if back.startswith("?") else {})})
    return render(
        request,
        "users/deliveries.html",
        {
            "nav": "users",
            "invitation": invitation,
            "who": named_for(actor, invitation.recipient, invitation.recipient_name),
            "status": invitation.effective_status(context.of(session).clock.now()),
            "rows": rows,
            "older_url": older,
            "delivery_words": DELIVERY_WORDS,
            "retrying_word": RETRYING_WORD,
            "list_url": _at_row(_list_url(actor, _tab_of(invitation.user_type), back), invitation.id),
        },
    )


def _invitation_access_form(
    request: Request, session: Session, actor: Actor, invitation: Invitation, back: str, **asked: Any
) -> Response:
    expired = invitation.effective_status(context.of(session).clock.now()) == EXPIRED
    return _access_form(
        request,
        actor,
        back,
        subject=invitation,
        who=named_for(actor, invitation.recipient, invitation.recipient_name),
        standing="Invitation expired" if expired else "Invited, not joined yet",
        action=str(
            request.url_for("invitations:change_access", slug=actor.portal.slug, invitation_id=invitation.id)
        ),
        applies="The invitation offers it from now on; nothing is sent.",
        **asked,
    )


@router.post(
    "/p/{slug}/invitations/{invitation_id}/access",
    name="invitations:change_access",
    dependencies=[Depends(check_csrf)],
)
def invitation_access_submit(
    request: Request,
    invitation_id: uuid.UUID,
    actor: PageActor,
    session: SessionDep,
    role: str = Form(""),
    products: list[str] = Form(default_factory=list),
    back: str = Form(""),
    owners_confirmed: str = Form(""),
) -> Response:
    """Save what the invitation offers; an offer that makes an owner asks the owners'
    confirmation first (``_unconfirmed``), and nothing changes until it is given."""

    def act() -> tuple[str, str]:
        with _unconfirmed():
            invitation = invitations_service.change_offer(
                session,
                actor,
                invitation_id,
                role=role or None,
                products=products,
                owners_confirmed=bool(owners_confirmed),
            )
        who = named_for(actor, invitation.recipient, invitation.recipient_name)
        if invitation.user_type == "client":
            return invitation.user_type, f"Saved: the products the invitation to {who} offers."
        return (
            invitation.user_type,
            f"Saved: the invitation to {who} offers {policy.role_phrase(invitation.role, capitalised=True)}.",
        )

    try:
        return _row_action(session, actor, back, invitation_id, act)
    except _OwnersUnconfirmed:
        invitation = invitations_service.get_or_raise(session, actor, invitation_id)
        return _invitation_access_form(
            request, session, actor, invitation, back, chosen={"role": role, "products": products}
        )


@router.post(
    "/p/{slug}/signups/{signup_id}/resend", name="signups:resend", dependencies=[Depends(check_csrf)]
)
def resend_signup_submit(
    signup_id: uuid.UUID, actor: PageActor, session: SessionDep, back: str = Form("")
) -> Response:
    def act() -> tuple[str, str]:
        record = links_signups.resend(session, actor, signup_id)
        return (
            record.user_type,
            f"A new confirmation email is on its way to {named_for(actor, record.email, record.name)}.",
        )

    return _row_action(session, actor, back, signup_id, act)


@router.post(
    "/p/{slug}/signups/{signup_id}/remove", name="signups:remove", dependencies=[Depends(check_csrf)]
)
def remove_signup_submit(
    signup_id: uuid.UUID, actor: PageActor, session: SessionDep, back: str = Form("")
) -> Response:
    def act() -> tuple[str, str]:
        record = links_signups.remove(session, actor, signup_id)
        return record.user_type, f"The sign-up of {named_for(actor, record.email, record.name)} was removed."

    return _row_action(session, actor, back, signup_id, act)


@router.post(
    "/p/{slug}/members/{member_id}/deactivate", name="members:deactivate", dependencies=[Depends(check_csrf)]
)
def deactivate_submit(
    member_id: uuid.UUID, actor: PageActor, session: SessionDep, back: str = Form("")
) -> Response:
    def act() -> tuple[str, str]:
        member = members_flow.deactivate(session, actor, member_id)
        return member.user_type, f"{user_named_for(session, actor, member.user)} was deactivated."

    return _row_action(session, actor, back, member_id, act)


@router.get("/p/{slug}/members/{member_id}/access", name="members:access")
def access_form(
    request: Request, member_id: uuid.UUID, actor: PageActor, session: SessionDep, back: str = ""
) -> Response:
    """Change role and products: a member's role (an internal user's) and the products they may
    use, from the row's menu; Save returns to the list as it was."""
    policy.require(actor.role, Action.MEMBER_CHANGE_ACCESS)
    member = members_service.member_or_raise(session, actor, member_id)
    return _member_access_form(request, actor, member, back)


def _member_access_form(request: Request, actor: Actor, member: Member, back: str, **asked: Any) -> Response:
    return _access_form(
        request,
        actor,
        back,
        subject=member,
        who=named(member.user.address or "", member.user.name),
        standing=member.status.capitalize(),
        action=str(request.url_for("members:change_access", slug=actor.portal.slug, member_id=member.id)),
        applies="It applies from their next page.",
        **asked,
    )


class _OwnersUnconfirmed(Exception):
    """A save of Change role and products that would make someone an owner unconfirmed: the
    change refused it before writing anything (``_unconfirmed``), and its form asks the owners'
    confirmation."""


@contextlib.contextmanager
def _unconfirmed() -> Iterator[None]:
    """Around a change given the form's ``owners_confirmed`` (``flows.members.change_access``,
    ``invitations.service.change_offer``): its refusal of an owner unconfirmed, which comes
    after its own refusals (who may change whose role) and before it writes, is the form's to
    ask again (``_OwnersUnconfirmed``); any other refusal is said as a row's action says it."""
    try:
        yield
    except InvalidInput as exc:
        if exc.field == "owners_confirmed":
            raise _OwnersUnconfirmed from exc
        raise


def _access_form(
    request: Request,
    actor: Actor,
    back: str,
    *,
    subject: Member | Invitation,
    who: str,
    standing: str,
    action: str,
    applies: str,
    chosen: dict[str, Any] | None = None,
) -> Response:
    """The Change role and products form; ``chosen``: what a save asked for, which makes an owner
    and is shown again with the owners' confirmation."""
    return render(
        request,
        "users/access.html",
        {
            "nav": "users",
            "chosen": chosen,
            "ask_owner": chosen is not None,
            "subject": subject,
            "who": who,
            "standing": standing,
            "action": action,
            "applies": applies,
            "back": back if back.startswith("?") else "",
            "list_url": _at_row(_list_url(actor, _tab_of(subject.user_type), back), subject.id),
        },
    )


@router.post(
    "/p/{slug}/members/{member_id}/access", name="members:change_access", dependencies=[Depends(check_csrf)]
)
def access_submit(
    request: Request,
    member_id: uuid.UUID,
    actor: PageActor,
    session: SessionDep,
    role: str = Form(""),
    products: list[str] = Form(default_factory=list),
    back: str = Form(""),
    owners_confirmed: str = Form(""),
) -> Response:
    """Save a member's role and products; making them an owner asks the owners' confirmation
    first (``_unconfirmed``), and nothing changes until it is given. The change's own
    refusals (``flows.members.change_access``: who may change whose role) come first, as the
    CLI's ``--confirm-owners`` is asked after them."""

    def act() -> tuple[str, str]:
        with _unconfirmed():
            member = members_flow.change_access(
                session,
                actor,
                member_id,
                role=role or None,
                products=products,
                owners_confirmed=bool(owners_confirmed),
            )
        who = user_named_for(session, actor, member.user)
        if member.user_type == "client":
            return member.user_type, f"Saved: the products of {who}."
        return member.user_type, f"Saved: {who} is {policy.role_phrase(member.role, capitalised=True)}."

    try:
        return _row_action(session, actor, back, member_id, act)
    except _OwnersUnconfirmed:
        member = members_service.member_or_raise(session, actor, member_id)
        return _member_access_form(request, actor, member, back, chosen={"role": role, "products": products})


@router.post(
    "/p/{slug}/members/{member_id}/reset-two-factor",
    name="members:reset_two_factor",
    dependencies=[Depends(check_csrf)],
)
def reset_two_factor_submit(
    member_id: uuid.UUID, actor: PageActor, session: SessionDep, back: str = Form("")
) -> Response:
    def act() -> tuple[str, str]:
        member = members_flow.reset_second_factor(session, actor, member_id)
        who = user_named_for(session, actor, member.user)
        return (
            member.user_type,
            f"The two-step verification of {who} has been reset and they were signed out "
            "everywhere. We told them.",
        )

    return _row_action(session, actor, back, member_id, act)


@router.post(
    "/p/{slug}/members/{member_id}/reactivate", name="members:reactivate", dependencies=[Depends(check_csrf)]
)
def reactivate_submit(
    member_id: uuid.UUID, actor: PageActor, session: SessionDep, back: str = Form("")
) -> Response:
    def act() -> tuple[str, str]:
        member = members_flow.reactivate(session, actor, member_id)
        return member.user_type, f"{user_named_for(session, actor, member.user)} is active again."

    return _row_action(session, actor, back, member_id, act)


@router.post("/p/{slug}/people/bulk", name="people:bulk", dependencies=[Depends(check_csrf)])
def bulk_submit(
    actor: PageActor,
    session: SessionDep,
    action: str = Form(""),
    ids: list[str] = Form(default=[]),
    all_matching: str = Form(""),
    tab: str = Form("internal"),
    q: str = Form(""),
    status: str = Form(""),
    role: str = Form(""),
    product: str = Form(""),
    delivery: str = Form(""),
    two_step: str = Form(""),
) -> Response:
    """The list's selection bar: Resend / Revoke / Deactivate the ticked rows, or every row the
    list's filters match ("Select all N matching"); the list then shows the job's progress."""
    tab = "clients" if tab == "clients" else "internal"
    filters = {
        "q": q,
        "status": status,
        "role": role,
        "product": product,
        "delivery": delivery,
        "two_step": two_step,
    }
    back = f"/p/{actor.portal.slug}/users?" + urlencode(
        {"tab": tab, **{k: v for k, v in filters.items() if v}}
    )
    try:
        if all_matching:
            job = people_bulk.start(session, actor, action, filters=_matching(tab, filters))
        else:
            job = people_bulk.start(session, actor, action, ids=[uuid.UUID(i) for i in ids])
    except ValueError:
        return redirect(back, notice="That selection could not be read.")
    except DomainError as exc:
        session.rollback()
        return redirect(back, notice=exc.message, refused=True)
    return redirect(back + "&bulk=" + str(job.id))
