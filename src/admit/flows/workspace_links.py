"""A workspace's link: its managers show and refresh it (for workspaces they reach), and anyone
holding a link sees what it opens (for a workspace link, which workspace)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from admit import policy
from admit.actor import Actor
from admit.links import service as links_service
from admit.links.models import InviteLink
from admit.links.views import LinkPreview, LinkView
from admit.workspaces import join_requests
from admit.workspaces import service as workspaces_service

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


__all__ = ["open_link", "preview", "refresh", "show", "taken", "update"]


def show(session: Session, actor: Actor, workspace_id: uuid.UUID) -> LinkView:
    """The workspace's link, with how many asked and joined through it; ``LinkNotFound`` before
    it is made (``open_link``)."""
    policy.require(actor.role, policy.Action.WORKSPACE_LINK_MANAGE)  # by role first: a 404 would say more
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    counts = join_requests.counts(session, workspace.id)
    return links_service.workspace_link(session, actor, workspace.id, counts=counts)


def open_link(session: Session, actor: Actor, workspace_id: uuid.UUID) -> tuple[LinkView, bool]:
    """The workspace's link, made if there is none (the workspace page, ``POST …/link``), and
    whether this call made it."""
    policy.require(actor.role, policy.Action.WORKSPACE_LINK_MANAGE)
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    counts = join_requests.counts(session, workspace.id)
    return links_service.open_workspace_link(
        session, actor, workspace.id, label=workspace.name, counts=counts
    )


def refresh(session: Session, actor: Actor, workspace_id: uuid.UUID) -> LinkView:
    """Refresh the workspace's link; the previous one stops working for everyone at once."""
    policy.require(actor.role, policy.Action.WORKSPACE_LINK_MANAGE)
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    counts = join_requests.counts(session, workspace.id)
    return links_service.refresh_workspace_link(
        session, actor, workspace.id, label=workspace.name, counts=counts
    )


def update(session: Session, actor: Actor, workspace_id: uuid.UUID, **changes: Any) -> LinkView:
    """Change the workspace link's settings (``links.service.update_workspace_link``: on or off,
    lifetime, domains, maximum), made if there is none."""
    policy.require(actor.role, policy.Action.WORKSPACE_LINK_MANAGE)
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    counts = join_requests.counts(session, workspace.id)
    return links_service.update_workspace_link(
        session, actor, workspace.id, label=workspace.name, counts=counts, **changes
    )


def taken(session: Session) -> Callable[[InviteLink], int]:
    """A link's places taken, for ``links.service.live_link_or_raise``: a workspace link's are
    its join requests."""
    return lambda link: join_requests.places_taken(session, link.workspace_id) if link.workspace_id else 0


def preview(session: Session, token: str) -> LinkPreview:
    """What a live link (portal or workspace) shows; 410 ``link_gone`` for anything else."""
    link = links_service.live_link_or_raise(session, token, taken=taken(session))
    workspace = workspaces_service.get(session, link.workspace_id) if link.workspace_id else None
    return links_service.preview(
        session, token, workspace_name=workspace.name if workspace else None, taken=taken(session)
    )
