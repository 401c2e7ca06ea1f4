"""Invitations: invite, resend, revoke, preview, accept, list, expire.

Each public function is one unit of change: it checks permissions through ``policy``, writes
the rows, queues its emails through ``notifications.service`` and records an audit event, all
in the caller's transaction. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from admit import context, policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.errors import Conflict, Gone, InvalidInput, NotFound, SignInRequired
from admit.invitations.models import ACCEPTED, EXPIRED, PENDING, REVOKED, STATUSES, Invitation
from admit.kit.bulk import one_of
from admit.kit.pagination import page
from admit.kit.tokens import hash_token, new_token
from admit.members import service as members_service
from admit.members.addresses import ParsedRecipient, parse_recipient, split_recipients
from admit.members.models import Member, User
from admit.members.passwords import check_strength, hash_password
from admit.notifications import service as notifications_service
from admit.policy import INTERNAL_ROLES, Role, UserType
from admit.portals.models import Portal
from admit.workspaces import service as workspaces_service

__all__ = [
    "AcceptResult",
    "InviteOptions",
    "check_options",
    "classify",
    "email_context",
    "InviteResult",
    "Skipped",
    "accept",
    "accept_for_address",
    "expire_due",
    "get_or_raise",
    "invite",
    "list_invitations",
    "preview",
    "reissue",
    "resend",
    "revoke",
]

MAX_RECIPIENTS_PER_REQUEST = 1000
MAX_MESSAGE = 2000


@dataclass(slots=True)
class Skipped:
    recipient: str
    code: str
    detail: str
    invitation_id: object = None


@dataclass(slots=True)
class InviteResult:
    invited: list[Invitation] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(slots=True)
class AcceptResult:
    invitation: Invitation
    portal: Portal
    user: User
    member: Member


@dataclass(slots=True)
class Preview:
    invitation: Invitation
    portal: Portal
    inviter_name: str
    account_exists: bool
    password_required: bool
    workspace_name: str | None = None  # the workspace the invitation also brings them into


def _invite_link(public_url: str, token: str) -> str:
    # Built from the configured public URL, never from the request's Host header.
    return f"{public_url}/invite/{token}"


@dataclass(frozen=True, slots=True)
class InviteOptions:
    """What every recipient of one invite request (or import) gets, validated."""

    user_type: str
    role: Role
    products: list[str]
    message: str


def _resolve_role(actor: Actor, user_type: str, role: str | None) -> Role:
    if user_type == UserType.CLIENT:
        if role not in (None, "", Role.CLIENT):
            raise InvalidInput("Clients always have the client role.", field="role")
        return Role.CLIENT
    if role in (None, ""):
        return Role.MEMBER
    if role not in tuple(INTERNAL_ROLES):
        raise InvalidInput("role must be owner, admin or member for internal users.", field="role")
    policy.require_rule(policy.check_grant_role(actor.role, role))
    return Role(role)


def _resolve_products(portal: Portal, products: list[str] | None) -> list[str]:
    if not products:
        return []
    unknown = sorted(set(products) - set(portal.enabled_products))
    if unknown:
        raise InvalidInput(f"Product(s) not enabled in this portal: {', '.join(unknown)}.", field="products")
    return [p for p in portal.enabled_products if p in products]


def check_options(
    actor: Actor,
    *,
    user_type: str,
    role: str | None = None,
    products: list[str] | None = None,
    message: str | None = None,
) -> InviteOptions:
    """Check who may invite whom and validate type, role, products and message.

    Raises ``PermissionDenied`` or ``InvalidInput`` (naming the field) before anything is written.
    """
    if user_type not in tuple(UserType):
        raise InvalidInput("user_type must be internal or client.", field="user_type")
    policy.require(actor.role, policy.invite_action(user_type))
    final_role = _resolve_role(actor, user_type, role)
    final_products = _resolve_products(actor.portal, products)
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise InvalidInput(f"The message is at most {MAX_MESSAGE} characters.", field="message")
    return InviteOptions(user_type=str(user_type), role=final_role, products=final_products, message=message)


ALREADY_INVITED = "A pending invitation exists; use Resend to send it again."


def classify(
    session: Session,
    portal: Portal,
    parsed: list[ParsedRecipient],
    seen,  # a set of addresses, or anything with `in` and `add` (imports keep digests)
    *,
    now,
    replace_expired: bool,
) -> list[Skipped | None]:
    """For each recipient: ``None`` if it is to be invited, else why it is skipped.

    The one place the skip rules live (single invitations and imports both call it): invalid,
    duplicate (``seen`` holds addresses met earlier in the same request or file), already a
    member (deactivated members may be invited again), already invited (a pending, unexpired
    invitation). With ``replace_expired`` a pending-but-expired invitation is marked expired so
    a fresh one can take its place. Two queries for the whole batch.
    """
    emails = {p.email for p in parsed if p.email}
    phones = {p.phone for p in parsed if p.phone}
    members = {}
    pending = {}
    if emails:
        members = dict(
            session.execute(
                select(User.email, Member.status)
                .join(Member, Member.user_id == User.id)
                .where(Member.portal_id == portal.id, one_of(session, User.email, emails))
            ).all()
        )
    if phones:
        members.update(
            session.execute(
                select(User.phone, Member.status)
                .join(Member, Member.user_id == User.id)
                .where(Member.portal_id == portal.id, User.phone.in_(phones))
            ).all()
        )
    addresses = emails | phones
    if addresses:
        pending = {
            inv.recipient: inv
            for inv in session.scalars(
                select(Invitation).where(
                    Invitation.portal_id == portal.id,
                    Invitation.status == PENDING,
                    one_of(session, Invitation.recipient, addresses),
                )
            )
        }
    outcomes: list[Skipped | None] = []
    for p in parsed:
        address = p.email or p.phone
        if address is None:
            outcomes.append(Skipped(p.raw, "invalid_recipient", p.error or "Not a valid email address."))
            continue
        if address in seen:
            outcomes.append(Skipped(p.raw, "duplicate", "This address appears more than once in the list."))
            continue
        seen.add(address)
        status = members.get(address)
        if status is not None and status != members_service.DEACTIVATED:
            outcomes.append(Skipped(p.raw, "already_member", "This person is already in the portal."))
            continue
        invitation = pending.get(address)
        if invitation is not None:
            if invitation.expires_at > now:
                outcomes.append(Skipped(p.raw, "already_invited", ALREADY_INVITED, invitation.id))
                continue
            if replace_expired:
                invitation.status = EXPIRED  # expired but not yet swept: a fresh one replaces it
        outcomes.append(None)
    return outcomes


def email_context(
    *,
    public_url: str,
    portal: Portal,
    recipient: str,
    recipient_name: str,
    options: InviteOptions,
    role: str,
    token: str,
    expires_at,
    inviter_name: str,
    workspace_name: str | None = None,
) -> dict:
    """What the invitation email (or SMS) template needs (the link holds the raw token)."""
    return {
        "workspace_name": workspace_name or "",
        "inviter_name": inviter_name,
        "portal_name": portal.name,
        "recipient": recipient,
        "recipient_name": recipient_name,
        "user_type": options.user_type,
        "role": role,
        "message": options.message,
        "link": _invite_link(public_url, token),
        "expires_at": expires_at.isoformat(),
        "expires_at_text": expires_at.strftime("%d %B %Y at %H:%M UTC"),
    }


def _queue_invitation_email(
    session: Session,
    invitation: Invitation,
    portal: Portal,
    token: str,
    inviter_name: str,
    workspace_name: str | None = None,
) -> None:
    """Queue the invitation's message: an email, or an SMS when the recipient is a phone number."""
    options = InviteOptions(
        user_type=invitation.user_type,
        role=Role(invitation.role),
        products=list(invitation.products),
        message=invitation.message,
    )
    notifications_service.enqueue(
        session,
        event_key=f"invitation:{invitation.id}:send:{invitation.send_count}",
        template="invitation",
        to=invitation.recipient,
        portal_id=portal.id,
        invitation_id=invitation.id,
        context=email_context(
            public_url=context.of(session).settings.public_url,
            portal=portal,
            recipient=invitation.recipient,
            recipient_name=invitation.recipient_name,
            options=options,
            role=invitation.role,
            token=token,
            expires_at=invitation.expires_at,
            inviter_name=inviter_name,
            workspace_name=workspace_name,
        ),
    )


def inviter_display_name(actor: Actor) -> str:
    if actor.user is not None:
        return actor.user.label
    if actor.api_key is not None and actor.api_key.created_by is not None:
        return actor.api_key.created_by.label
    return actor.portal.name


def invite(
    session: Session,
    actor: Actor,
    *,
    recipients: list[str] | str,
    user_type: str,
    role: str | None = None,
    products: list[str] | None = None,
    message: str | None = None,
    workspace_name: str | None = None,
) -> InviteResult:
    """Invite each recipient (email or phone); each gets its own result (invited or skipped).

    ``workspace_name``: the invitation also brings them into that workspace (the message says so;
    the caller adds the workspace membership).

    Validates the whole request first (type, role, products, message: errors name the field
    and nothing is written); then each recipient is written in its own savepoint, so one bad
    address never half-writes or blocks the others.
    """
    options = check_options(actor, user_type=user_type, role=role, products=products, message=message)
    raw_list = split_recipients(recipients)
    if not raw_list:
        raise InvalidInput("Give at least one recipient.", field="recipients")
    if len(raw_list) > MAX_RECIPIENTS_PER_REQUEST:
        raise InvalidInput(
            f"At most {MAX_RECIPIENTS_PER_REQUEST} recipients per request; upload a file for more.",
            field="recipients",
        )

    portal = actor.portal
    parsed = [parse_recipient(raw) for raw in raw_list]
    now = context.of(session).clock.now()
    outcomes = classify(session, portal, parsed, set(), now=now, replace_expired=True)
    result = InviteResult(skipped=[o for o in outcomes if o is not None])
    to_create = [p for p, o in zip(parsed, outcomes, strict=True) if o is None]
    sender = inviter_display_name(actor)

    if to_create:
        count_invitation_emails(session, portal.id, len(to_create))
    session.flush()
    for p in to_create:
        token = new_token()
        invitation = Invitation(
            portal_id=portal.id,
            recipient=p.address,
            recipient_name=p.name,
            user_type=options.user_type,
            role=str(options.role),
            products=options.products,
            message=options.message,
            status=PENDING,
            token_hash=hash_token(token),
            expires_at=now + timedelta(seconds=portal.invitation_ttl_seconds),
            invited_by_id=actor.user_id,
            created_at=now,
            last_sent_at=now,
            send_count=1,
        )
        try:
            with session.begin_nested():
                session.add(invitation)
                session.flush()
        except IntegrityError:
            # Someone invited the same address at the same moment (double click, retry).
            result.skipped.append(Skipped(p.raw, "already_invited", ALREADY_INVITED))
            continue
        _queue_invitation_email(session, invitation, portal, token, sender, workspace_name)
        audit_service.record(
            session,
            actor,
            "invitation.created",
            target_type="invitation",
            target_id=invitation.id,
            target_label=invitation.recipient,
            detail={"user_type": invitation.user_type, "role": invitation.role, "products": options.products},
        )
        result.invited.append(invitation)
    session.flush()
    return result


def get_or_raise(session: Session, actor: Actor, invitation_id) -> Invitation:
    policy.require(actor.role, policy.Action.INVITATION_VIEW)
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.portal_id != actor.portal.id:
        raise NotFound("No such invitation in this portal.", code="invitation_not_found")
    if actor.role == Role.MEMBER and invitation.user_type != UserType.CLIENT:
        raise NotFound("No such invitation in this portal.", code="invitation_not_found")
    return invitation


def count_invitation_emails(session: Session, portal_id, n: int) -> None:
    """The portal's sending limit: every invitation email counts, all of a request or none."""
    ctx = context.of(session)
    ctx.limiter.hit(
        f"invite:{portal_id}",
        ctx.settings.invite_rate_limit,
        message="This portal has sent too many invitations recently. Try again later.",
        cost=n,
    )


def _locked(session: Session, invitation: Invitation) -> Invitation:
    """Re-read the row under a lock before changing it, so a concurrent accept cannot be undone
    (on PostgreSQL; SQLite's write lock already serialises the two)."""
    session.execute(select(Invitation.id).where(Invitation.id == invitation.id).with_for_update())
    session.refresh(invitation)
    return invitation


def resend(session: Session, actor: Actor, invitation_id) -> Invitation:
    """Send a new link (Resend / Reinvite); every earlier link of this invitation dies.

    Allowed while the invitation is pending, and also once it has expired (seed 004: Reinvite
    after the window); refused with ``invitation_not_pending`` once accepted or revoked.
    """
    policy.require(actor.role, policy.Action.INVITATION_RESEND)
    return reissue(session, actor, get_or_raise(session, actor, invitation_id))


def reissue(
    session: Session,
    actor: Actor,
    invitation: Invitation,
    *,
    counted: bool = False,
    workspace_name: str | None = None,
) -> Invitation:
    """Send ``invitation`` again with a new token; every earlier link dies.

    The caller has decided the actor may (``resend`` for the portal's invitations, workspaces'
    Resend Invitation for their members). ``counted``: the caller has already charged the
    portal's sending limit (for a whole group, all or none). ``workspace_name``: the workspace the
    message names (looked up when not given).
    """
    invitation = _locked(session, invitation)
    if invitation.status not in (PENDING, EXPIRED):
        raise Conflict(
            f"This invitation is {invitation.status}; only pending invitations can be resent.",
            code="invitation_not_pending",
        )
    if not counted:
        count_invitation_emails(session, actor.portal.id, 1)
    now = context.of(session).clock.now()
    token = new_token()
    was = invitation.effective_status(now)
    invitation.token_hash = hash_token(token)
    invitation.status = PENDING
    invitation.expires_at = now + timedelta(seconds=actor.portal.invitation_ttl_seconds)
    invitation.last_sent_at = now
    invitation.send_count += 1
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "Another pending invitation exists for this address; resend that one.",
            code="already_invited",
        ) from exc
    notifications_service.cancel_for_invitation(session, invitation.id)
    _queue_invitation_email(
        session,
        invitation,
        actor.portal,
        token,
        inviter_display_name(actor),
        workspace_name or workspaces_service.workspace_name_for_invitation(session, invitation.id),
    )
    audit_service.record(
        session,
        actor,
        "invitation.resent",
        target_type="invitation",
        target_id=invitation.id,
        target_label=invitation.recipient,
        detail={"send_count": invitation.send_count, "was": was},
    )
    session.flush()
    return invitation


def revoke(session: Session, actor: Actor, invitation_id) -> Invitation:
    """Kill an invitation: its link stops working and unsent emails are cancelled."""
    policy.require(actor.role, policy.Action.INVITATION_REVOKE)
    invitation = _locked(session, get_or_raise(session, actor, invitation_id))
    if invitation.status not in (PENDING, EXPIRED):
        raise Conflict(
            f"This invitation is {invitation.status}; only pending invitations can be revoked.",
            code="invitation_not_pending",
        )
    invitation.status = REVOKED
    invitation.revoked_at = context.of(session).clock.now()
    notifications_service.cancel_for_invitation(session, invitation.id)
    audit_service.record(
        session,
        actor,
        "invitation.revoked",
        target_type="invitation",
        target_id=invitation.id,
        target_label=invitation.recipient,
    )
    session.flush()
    return invitation


def list_invitations(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    user_type: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
    open_only: bool = False,
):
    """Invitations of the portal, newest first. Internal members see client invitations only.

    ``open_only`` leaves out accepted ones (they are members now: User Management lists those)."""
    policy.require(actor.role, policy.Action.INVITATION_VIEW)
    now = context.of(session).clock.now()
    query = select(Invitation).where(Invitation.portal_id == actor.portal.id)
    if actor.role == Role.MEMBER:
        query = query.where(Invitation.user_type == UserType.CLIENT)
    if open_only:
        query = query.where(Invitation.status != ACCEPTED)
    if user_type:
        if user_type not in tuple(UserType):
            raise InvalidInput("user_type must be internal or client.", field="user_type")
        query = query.where(Invitation.user_type == user_type)
    if status:
        if status not in STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(STATUSES)}.", field="status")
        if status == PENDING:
            query = query.where(Invitation.status == PENDING, Invitation.expires_at > now)
        elif status == EXPIRED:
            query = query.where(
                or_(
                    Invitation.status == EXPIRED,
                    and_(Invitation.status == PENDING, Invitation.expires_at <= now),
                )
            )
        else:
            query = query.where(Invitation.status == status)
    return page(session, query, Invitation, cursor=cursor, limit=limit)


def _by_token_or_raise(session: Session, token: str) -> Invitation:
    """The invitation a token opens, or a clear error that says nothing about any address."""
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token or "")))
    if invitation is None:
        raise NotFound(
            "This invitation link is not valid. It may have been replaced by a newer one: "
            "look for the latest email, or ask for a new invitation.",
            code="invitation_not_found",
        )
    status = invitation.effective_status()
    if status == ACCEPTED:
        raise Gone("This invitation has already been used. Sign in instead.", code="invitation_used")
    if status == EXPIRED:
        raise Gone(
            "This invitation has expired. Ask the person who invited you to send a new one.",
            code="invitation_expired",
        )
    if status == REVOKED:
        raise Gone("This invitation was withdrawn.", code="invitation_revoked")
    return invitation


def preview(session: Session, token: str) -> Preview:
    """What an invitation link shows before anyone clicks Join. Never uses the link up."""
    invitation = _by_token_or_raise(session, token)
    portal = session.get(Portal, invitation.portal_id)
    inviter = invitation.invited_by
    user = members_service.get_user_by_address(session, invitation.recipient)
    return Preview(
        invitation=invitation,
        portal=portal,
        inviter_name=(inviter.name or inviter.email) if inviter else portal.name,
        account_exists=bool(user and user.password_hash),
        password_required=not (user and user.password_hash) and _needs_password(invitation, portal),
        workspace_name=workspaces_service.workspace_name_for_invitation(session, invitation.id),
    )


def _needs_password(invitation: Invitation, portal: Portal) -> bool:
    """Internal users choose a password; clients only where the portal requires one."""
    return invitation.user_type == UserType.INTERNAL or portal.client_require_password


def accept(
    session: Session,
    *,
    token: str,
    name: str | None = None,
    password: str | None = None,
    current_user: User | None = None,
    ip: str | None = None,
) -> AcceptResult:
    """Use an invitation: exactly once, even when two requests race.

    The role, user type and products come from the invitation, never from the request. An
    address that already has an account must be signed in to it; an invitation never sets or
    resets an existing account's password. Internal users choose a password here; clients
    need none unless the portal requires one.
    """
    invitation = _by_token_or_raise(session, token)
    portal = session.get(Portal, invitation.portal_id)
    if current_user is not None and not current_user.has_address(invitation.recipient):
        raise SignInRequired(
            f"This invitation is for {invitation.recipient}. Sign out and continue as that address.",
            code="wrong_account",
        )
    user = members_service.get_user_by_address(session, invitation.recipient)
    has_account = user is not None and user.password_hash is not None
    new_password_hash = None
    if has_account:
        if current_user is None or current_user.id != user.id:
            raise SignInRequired(
                f"An account already exists for {invitation.recipient}. Sign in to accept.",
                code="sign_in_required",
            )
    else:
        needs_password = _needs_password(invitation, portal)
        if needs_password or password:
            min_length = context.of(session).settings.password_min_length
            check_strength(password, min_length=min_length, email=invitation.recipient)
            new_password_hash = hash_password(password)
    clean_name = (name or "").strip()[:200] or invitation.recipient_name

    now = context.of(session).clock.now()
    # The single-use guarantee: only one UPDATE can move this row out of 'pending'. On
    # PostgreSQL a concurrent accept waits on the row lock, then sees 'accepted' and matches
    # nothing; on SQLite the write lock serialises the two.
    claimed = session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.status == PENDING,
            Invitation.token_hash == invitation.token_hash,
            Invitation.expires_at > now,
        )
        .values(status=ACCEPTED, accepted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        session.expire(invitation)
        _by_token_or_raise(session, token)  # raises the precise reason
        raise Gone("This invitation has already been used.", code="invitation_used")
    session.refresh(invitation)

    if user is None:
        user = members_service.new_user(invitation.recipient, name=clean_name)
        user.password_hash = new_password_hash
        session.add(user)
        session.flush()
    else:
        if new_password_hash and user.password_hash is None:
            user.password_hash = new_password_hash  # a passwordless (client) account's first password
        if clean_name and not user.name:
            user.name = clean_name

    member = _join(session, invitation, portal, user, ip=ip)
    return AcceptResult(invitation=invitation, portal=portal, user=user, member=member)


def _join(session: Session, invitation: Invitation, portal: Portal, user: User, *, ip, via=None) -> Member:
    """An invitation just claimed: the user becomes an active member with its type, role and
    products, the workspaces they were added to count them as joined, and it is audited."""
    member = members_service.activate(
        session,
        portal_id=portal.id,
        user_id=user.id,
        user_type=invitation.user_type,
        role=invitation.role,
        products=invitation.products,
        invited_by_id=invitation.invited_by_id,
    )
    invitation.member_id = member.id
    workspaces_service.mark_joined(session, portal.id, user.id)
    detail = {"role": member.role, "user_type": member.user_type}
    if via is not None:
        detail["via"] = via
    audit_service.record(
        session,
        Actor(portal=portal, role=Role(member.role), user=user, member=member, ip=ip),
        "invitation.accepted",
        target_type="invitation",
        target_id=invitation.id,
        target_label=invitation.recipient,
        detail=detail,
    )
    session.flush()
    return member


def accept_for_address(
    session: Session, *, portal: Portal, user: User, ip: str | None = None
) -> Member | None:
    """Complete ``user``'s pending invitation to ``portal`` without its token, for someone who
    has just proved they own the address another way (a confirmed invite-link sign-up).

    Returns the member, or None when no live invitation is pending. The invitation's type,
    role and products apply, and the same single-use claim as ``accept`` makes it happen once.
    """
    now = context.of(session).clock.now()
    invitation = session.scalar(
        select(Invitation).where(
            Invitation.portal_id == portal.id,
            Invitation.recipient == user.email,
            Invitation.status == PENDING,
            Invitation.expires_at > now,
        )
    )
    if invitation is None:
        return None
    claimed = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.status == PENDING, Invitation.expires_at > now)
        .values(status=ACCEPTED, accepted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return None
    session.refresh(invitation)
    notifications_service.cancel_for_invitation(session, invitation.id)  # its link is of no use now
    return _join(session, invitation, portal, user, ip=ip, via="invite_link")


def expire_due(session: Session, *, limit: int = 1000) -> int:
    """Write down ``expired`` for pending invitations past their expiry (the worker's sweep)."""
    now = context.of(session).clock.now()
    ids = list(
        session.scalars(
            select(Invitation.id)
            .where(Invitation.status == PENDING, Invitation.expires_at <= now)
            .limit(limit)
        )
    )
    if not ids:
        return 0
    session.execute(
        update(Invitation)
        .where(Invitation.id.in_(ids), Invitation.status == PENDING, Invitation.expires_at <= now)
        .values(status=EXPIRED)
        .execution_options(synchronize_session="fetch")
    )
    return len(ids)
