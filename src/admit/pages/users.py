"""User Management: internal users and clients, invitations and members side by side."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile

from admit import policy
from admit.errors import DomainError
from admit.flows import invitations as invitations_flow
from admit.flows import members as members_flow
from admit.imports import service as imports_service
from admit.invitations import service as invitations_service
from admit.links import service as links_service
from admit.links import signups as signups_service
from admit.members import service as members_service
from admit.members.addresses import split_recipients
from admit.notifications import service as notifications_service
from admit.notifications.models import delivery_status
from admit.pages.deps import (
    PageActor,
    check_csrf,
    forget_flash,
    read_flash,
    readable_phone,
    redirect,
    render,
    set_flash,
)
from admit.policy import INTERNAL_ROLES, Action, Role
from admit.web import SessionDep

router = APIRouter()
ROSTER_LIMIT = 500


def _rows(session, actor, tab: str) -> list[dict]:
    user_type = "internal" if tab == "internal" else "client"
    rows: list[dict] = []
    if policy.can(actor.role, Action.INVITATION_VIEW):
        invitations, _ = invitations_service.list_invitations(
            session, actor, user_type=user_type, limit=ROSTER_LIMIT, open_only=True
        )
        latest = notifications_service.latest_for_invitations(session, [i.id for i in invitations])
        for inv in invitations:
            rows.append(
                {
                    "kind": "invitation",
                    "id": inv.id,
                    "name": inv.recipient_name,
                    "address": inv.recipient,
                    "role": inv.role,
                    "products": inv.products,
                    "status": inv.effective_status(),
                    "invited_by": (inv.invited_by.name or inv.invited_by.email) if inv.invited_by else None,
                    "last_sent": inv.last_sent_at,
                    "delivery": delivery_status(latest.get(inv.id)),
                }
            )
    members, _ = members_service.list_members(session, actor, user_type=user_type, limit=ROSTER_LIMIT)
    active_owners = sum(1 for m in members if m.role == Role.OWNER and m.status == members_service.ACTIVE)
    for m in members:
        rows.append(
            {
                "kind": "member",
                "id": m.id,
                "user_id": m.user_id,
                "name": m.user.name,
                "address": m.user.address,
                "role": m.role,
                "products": m.products,
                "status": m.status,
                "invited_by": (m.invited_by.name or m.invited_by.email) if m.invited_by else None,
                "last_sent": None,
                "delivery": None,
                # Offer Deactivate only where the policy would allow it (not yourself, not an
                # owner unless you are one, never the last owner).
                "deactivatable": policy.check_deactivate(
                    actor.role,
                    m.role,
                    is_self=actor.user is not None and actor.user.id == m.user_id,
                    owners_left=active_owners,
                )
                is None,
            }
        )
    if policy.can(actor.role, Action.LINK_MANAGE):
        # Signed up through the invite link, waiting for their confirmation email: Pending.
        for s in signups_service.pending_signups(session, actor, user_type=user_type, limit=ROSTER_LIMIT):
            rows.append(
                {
                    "kind": "signup",
                    "id": s.id,
                    "name": s.name,
                    "address": s.email,
                    "role": s.role,
                    "products": [],
                    "status": "pending",
                    "invited_by": "Invite link",
                    "last_sent": s.created_at,
                    "delivery": None,
                }
            )
    return rows


def _page(request: Request, session, actor, *, tab: str, status_code: int = 200, **extra):
    can_invite_internal = policy.can(actor.role, Action.INVITE_INTERNAL)
    grantable = [r for r in INTERNAL_ROLES if policy.check_grant_role(actor.role, r) is None]
    context = {
        "nav": "users",
        "tab": tab,
        "rows": _rows(session, actor, tab),
        "can_invite_internal": can_invite_internal,
        "can_invite_client": policy.can(actor.role, Action.INVITE_CLIENT),
        "can_resend": policy.can(actor.role, Action.INVITATION_RESEND),
        "can_revoke": policy.can(actor.role, Action.INVITATION_REVOKE),
        "can_deactivate": policy.can(actor.role, Action.MEMBER_DEACTIVATE),
        "grantable_roles": [str(r) for r in grantable],
        "form": {"user_type": "client" if tab == "clients" else "internal"},
        "notice": request.query_params.get("notice"),
        "open_invite": request.query_params.get("invite") is not None,
        "invite_link": links_service.portal_link(session, actor)
        if policy.can(actor.role, Action.LINK_MANAGE)
        else None,
    }
    context.update(extra)
    return render(request, "users/list.html", context, status_code=status_code)


def _upload_chunks(upload: UploadFile):
    upload.file.seek(0)
    while chunk := upload.file.read(1024 * 1024):
        yield chunk


@router.get("/p/{slug}/users", name="users:list")
def users_list(request: Request, actor: PageActor, session: SessionDep, tab: str = "internal"):
    if actor.role == Role.CLIENT:
        return redirect(f"/p/{actor.portal.slug}")
    report = read_flash(request)
    response = _page(
        request, session, actor, tab="clients" if tab == "clients" else "internal", report=report
    )
    forget_flash(response, report)
    return response


@router.post("/p/{slug}/invitations", name="invitations:create", dependencies=[Depends(check_csrf)])
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
):
    """The Invite modal's Send Invitation: shows a report of who was invited and who was skipped.

    An uploaded list, or a paste longer than one request takes, becomes a bulk import instead:
    the admin sees its preview and confirms before anything is sent.
    """
    has_file = file is not None and bool(file.filename)
    pasted = split_recipients(recipients) if not has_file else []
    options = {
        "user_type": user_type,
        "role": role if user_type == "internal" else None,
        "products": products,
        "message": message,
    }
    try:
        if has_file or len(pasted) > invitations_service.MAX_RECIPIENTS_PER_REQUEST:
            if has_file:
                chunks, filename = _upload_chunks(file), file.filename
            else:
                # One recipient per line: the paste was already split on Enter, commas and semicolons.
                chunks, filename = iter(["\n".join(pasted).encode("utf-8")]), ""
            imp, _created = imports_service.create(
                session, actor, chunks=chunks, filename=filename, start=False, **options
            )
            return redirect(f"/p/{actor.portal.slug}/imports/{imp.id}")
        result = invitations_service.invite(session, actor, recipients=recipients, **options)
    except DomainError as exc:
        session.rollback()
        form = {
            "recipients": recipients,
            "user_type": user_type,
            "role": role,
            "products": products,
            "message": message,
        }
        return _page(
            request,
            session,
            actor,
            tab=tab,
            form=form,
            form_error=exc.message,
            open_invite=True,
            status_code=exc.status,
        )
    # Post/redirect/get: reloading the page must not send the form again.
    shown_tab = "clients" if user_type == "client" else "internal"
    response = redirect(f"/p/{actor.portal.slug}/users?tab={shown_tab}")
    report = {
        "invited_count": len(result.invited),
        "skipped": [
            {"recipient": s.recipient[:120], "code": s.code, "detail": s.detail[:200]}
            for s in result.skipped[:15]
        ],
        "skipped_count": len(result.skipped),
    }
    set_flash(request, response, report)
    return response


@router.post(
    "/p/{slug}/invitations/{invitation_id}/resend",
    name="invitations:resend",
    dependencies=[Depends(check_csrf)],
)
def resend_submit(invitation_id: uuid.UUID, actor: PageActor, session: SessionDep):
    invitation = invitations_flow.resend(session, actor, invitation_id)
    tab = "clients" if invitation.user_type == "client" else "internal"
    return redirect(
        f"/p/{actor.portal.slug}/users?tab={tab}", notice=f"Invitation resent to {invitation.recipient}."
    )


@router.post(
    "/p/{slug}/invitations/{invitation_id}/revoke",
    name="invitations:revoke",
    dependencies=[Depends(check_csrf)],
)
def revoke_submit(invitation_id: uuid.UUID, actor: PageActor, session: SessionDep):
    invitation = invitations_service.revoke(session, actor, invitation_id)
    tab = "clients" if invitation.user_type == "client" else "internal"
    return redirect(
        f"/p/{actor.portal.slug}/users?tab={tab}", notice=f"Invitation to {invitation.recipient} revoked."
    )


@router.post(
    "/p/{slug}/members/{member_id}/deactivate", name="members:deactivate", dependencies=[Depends(check_csrf)]
)
def deactivate_submit(member_id: uuid.UUID, actor: PageActor, session: SessionDep):
    member = members_flow.deactivate(session, actor, member_id)
    tab = "clients" if member.user_type == "client" else "internal"
    return redirect(
        f"/p/{actor.portal.slug}/users?tab={tab}",
        notice=f"{readable_phone(member.user.address)} was deactivated.",
    )
