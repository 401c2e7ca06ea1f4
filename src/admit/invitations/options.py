"""What every recipient of one invitation request gets: user type, role, products, message.

``check_options`` validates them once per request (or import), before anything is written;
``row_role`` is the rule for a per-row role (an import's ``role`` column) under those options,
``role_letting_in`` the list role that would let a row it refused in.
"""

from __future__ import annotations

from dataclasses import dataclass

from admit import policy
from admit.actor import Actor
from admit.errors import Checks, InvalidInput, at_most_characters
from admit.invitations.codes import SkipCode
from admit.invitations.models import MAX_MESSAGE
from admit.policy import INTERNAL_ROLES, Role, UserType
from admit.portals import service as portals_service

__all__ = ["MAX_MESSAGE", "InviteOptions", "check_options", "role_letting_in", "row_role"]


@dataclass(frozen=True, slots=True)
class InviteOptions:
    """What every recipient of one invite request (or import) gets, validated."""

    user_type: UserType
    role: Role
    products: tuple[str, ...] = ()
    message: str = ""
    # An import's ``role`` column is used only when the admin says so ("Use the Role column");
    # even then ``role`` is the ceiling: no row gets more.
    role_column: bool = False


def _resolve_role(actor_role: Role | None, user_type: UserType, role: str | None) -> Role:
    if (fault := policy.client_role_fault(user_type, role)) is not None:
        raise InvalidInput(fault, field="role")
    if user_type is UserType.CLIENT:
        return Role.CLIENT
    if role in (None, ""):
        return Role.MEMBER
    internal = policy.internal_role_of(role)
    policy.require_rule(policy.check_grant_role(actor_role, internal))
    return internal


def check_options(
    actor: Actor,
    *,
    user_type: str,
    role: str | None = None,
    products: list[str] | None = None,
    message: str | None = None,
    role_column: bool = False,
    faults: Checks | None = None,
) -> InviteOptions:
    """Check who may invite whom and validate type, role, products and message.

    Raises ``PermissionDenied``, or ``InvalidInput`` naming every field at fault (``errors``), before
    anything is written. ``faults``: the caller's, found in the same request (a value of the
    wrong type), said after these."""
    checks = Checks()  # every fault at once
    kind: UserType | None = None
    with checks.of("user_type"):
        kind = policy.user_type_of(user_type)
    final_role = Role.MEMBER
    if kind is not None:
        policy.require(actor.role, policy.invite_action(kind))
        with checks.of("role"):
            final_role = _resolve_role(actor.role, kind, role)
    final_products: tuple[str, ...] = ()
    with checks.of("products"):
        final_products = tuple(portals_service.check_products(actor.portal, products))
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        checks.problems.append({"field": "message", "message": at_most_characters(MAX_MESSAGE, message)})
    checks.extend(faults)
    checks.done()
    assert kind is not None, "a user type that is none is a fault: done() raised"
    return InviteOptions(
        user_type=kind,
        role=final_role,
        products=final_products,
        message=message,
        role_column=bool(role_column) and kind is UserType.INTERNAL,
    )


def row_role(
    actor_role: Role | str | None, options: InviteOptions, raw_role: str
) -> tuple[Role, SkipCode | None, str]:
    """The role one row asks for (an import's ``role`` column): the list's role unless the admin
    chose to use the column (``options.role_column``), and then never above the list's role nor
    beyond what the actor may grant.

    Returns ``(role, refusal code, why)``: the code is ``None`` when the row may have the role.
    """
    asked = (raw_role or "").strip().lower()
    if not asked or asked == options.role or not options.role_column:
        return options.role, None, ""
    if (fault := policy.client_role_fault(options.user_type, asked)) is not None:
        return options.role, SkipCode.NOT_ALLOWED, fault
    if asked not in tuple(INTERNAL_ROLES):
        return (
            options.role,
            SkipCode.INVALID_ROLE,
            f"“{raw_role}” is not a role: use owner, admin or member.",
        )
    if INTERNAL_ROLES.index(Role(asked)) < INTERNAL_ROLES.index(options.role):
        return (
            options.role,
            SkipCode.NOT_ALLOWED,
            f"“{raw_role.strip()}” is above the role chosen for this list ({options.role}).",
        )
    reason = policy.check_grant_role(actor_role, asked)
    if reason:
        return options.role, SkipCode.NOT_ALLOWED, reason
    return Role(asked), None, ""


def role_letting_in(actor_role: Role | str | None, options: InviteOptions, raw_role: str) -> Role | None:
    """The list role (``options.role``) under which ``row_role`` would give a row the role it
    asks for (``raw_role``), when the row asks for more than the list's role and the actor may
    give it; else None (the row is in already, or no list role of the actor's lets it in)."""
    asked = (raw_role or "").strip().lower()
    if not options.role_column or options.user_type is UserType.CLIENT or asked not in tuple(INTERNAL_ROLES):
        return None
    if INTERNAL_ROLES.index(Role(asked)) >= INTERNAL_ROLES.index(options.role):
        return None
    return Role(asked) if policy.check_grant_role(actor_role, asked) is None else None
