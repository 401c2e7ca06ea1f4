"""The portal's SCIM tokens (owners and admins): make one (shown once), list them, revoke one.
A directory (Okta, Entra ID) sends it as ``Authorization: Bearer`` to ``/scim/v2``."""

from __future__ import annotations

import uuid

from admit.api.deps import ActorDep, Limit
from admit.api.errors import problems
from admit.directory import service as directory_service
from admit.directory.schemas import ScimTokenCreate, ScimTokenCreated, ScimTokenPage, ScimTokenRead
from admit.errors import PermissionDenied, ScimTokenNotFound
from admit.kit.routing import Router
from admit.web import SessionDep

router = Router(tags=["scim"])


@router.get(
    "/portals/{portal}/scim-tokens",
    response_model=ScimTokenPage,
    operation_id="scim_tokens_list",
    responses=problems(PermissionDenied),
)
def list_scim_tokens(
    actor: ActorDep, session: SessionDep, cursor: str | None = None, limit: Limit = 100
) -> ScimTokenPage:
    """The portal's SCIM tokens, newest first, revoked ones included; never their secrets."""
    rows, next_cursor = directory_service.list_tokens(session, actor, cursor=cursor, limit=limit)
    return ScimTokenPage(items=[ScimTokenRead.of(t) for t in rows], next_cursor=next_cursor)


@router.post(
    "/portals/{portal}/scim-tokens",
    response_model=ScimTokenCreated,
    status_code=201,
    operation_id="scim_tokens_create",
    responses=problems(PermissionDenied),
)
def create_scim_token(body: ScimTokenCreate, actor: ActorDep, session: SessionDep) -> ScimTokenCreated:
    """A new SCIM token for the portal; the token is in this answer only."""
    raw, token = directory_service.issue_token(session, actor, name=body.name)
    return ScimTokenCreated(id=token.id, token=raw, scim_token=ScimTokenRead.of(token))


@router.delete(
    "/portals/{portal}/scim-tokens/{scim_token_id}",
    status_code=204,
    operation_id="scim_tokens_revoke",
    responses=problems(PermissionDenied, ScimTokenNotFound),
)
def revoke_scim_token(scim_token_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> None:
    """Revoke a token: the directory using it is refused from its next request."""
    directory_service.revoke_token(session, actor, scim_token_id)
