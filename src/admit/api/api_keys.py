"""The portal's API keys (owners and admins): list them, make one (its secret shown once),
revoke one."""

from __future__ import annotations

import uuid

from admit.api.deps import ActorDep, Limit
from admit.api.errors import problems, unparsed_faults
from admit.auth import service as auth_service
from admit.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPage, ApiKeyRead
from admit.errors import ApiKeyNotFound, PermissionDenied
from admit.kit.routing import Router
from admit.web import SessionDep

router = Router(tags=["api keys"])


@router.get(
    "/portals/{portal}/api-keys",
    response_model=ApiKeyPage,
    operation_id="api_keys_list",
    responses=problems(PermissionDenied),
)
def list_api_keys(
    actor: ActorDep, session: SessionDep, cursor: str | None = None, limit: Limit = 100
) -> ApiKeyPage:
    """The portal's API keys, newest first, revoked ones included; never their secrets."""
    rows, next_cursor = auth_service.list_api_keys(session, actor, cursor=cursor, limit=limit)
    return ApiKeyPage(items=[ApiKeyRead.of(k) for k in rows], next_cursor=next_cursor)


@router.post(
    "/portals/{portal}/api-keys",
    response_model=ApiKeyCreated,
    status_code=201,
    operation_id="api_keys_create",
    responses=problems(PermissionDenied),
)
def create_api_key(body: ApiKeyCreate, actor: ActorDep, session: SessionDep) -> ApiKeyCreated:
    """A new admin key acting for you; the secret is in this answer only."""
    raw, key = auth_service.issue_api_key(
        session, actor, name=body.name, expires_in_days=body.expires_in_days, faults=unparsed_faults(body)
    )
    return ApiKeyCreated(key=ApiKeyRead.of(key), secret=raw)


@router.delete(
    "/portals/{portal}/api-keys/{api_key_id}",
    status_code=204,
    operation_id="api_keys_revoke",
    responses=problems(PermissionDenied, ApiKeyNotFound),
)
def revoke_api_key(api_key_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> None:
    """Revoke a key: it stops working at once (the list shows it revoked)."""
    auth_service.revoke_api_key(session, actor, api_key_id)
