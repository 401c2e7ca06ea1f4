"""API dependencies: the actor from a Bearer API key, or from the session cookie plus the
``X-CSRF-Token`` header on changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from admit.actor import Actor
from admit.errors import CsrfFailed
from admit.kit.pagination import MAX_LIMIT
from admit.web import SAFE_METHODS, Auth, SessionDep, auth_from_headers, csrf_ok, portal_actor, read_auth


def read_checked_auth(request: Request, session: Session) -> Auth:
    """Who is asking, a browser's change refused without its CSRF token."""
    auth = read_auth(request, session)
    if (
        auth.web_session is not None
        and request.method not in SAFE_METHODS
        and not csrf_ok(auth, request.headers.get("x-csrf-token"))
    ):
        raise CsrfFailed("Send the X-CSRF-Token header given at sign-in.")
    return auth


async def api_auth(request: Request, session: SessionDep) -> Auth:
    """``read_checked_auth``, on the event loop when the headers say it all (an API key; nobody,
    as an invitee accepting): a session cookie is looked up in a thread."""
    known = auth_from_headers(request)
    if known is not None:
        return known  # no browser session: no CSRF token to check
    return await run_in_threadpool(read_checked_auth, request, session)


AuthDep = Annotated[Auth, Depends(api_auth)]


def api_actor(portal: str, request: Request, session: SessionDep, auth: AuthDep) -> Actor:
    return portal_actor(request, session, portal, auth)


def actor_in(session: Session, request: Request, portal: str) -> Actor:
    """The same as ``ActorDep``, for routes that open their own unit of work (uploads, streams)."""
    return portal_actor(request, session, portal, read_checked_auth(request, session))


ActorDep = Annotated[Actor, Depends(api_actor)]


# How many items a page of a list holds: declared in the OpenAPI document, checked before the
# list is read (a value outside answers 422 naming ``limit``).
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page, 1 to {MAX_LIMIT}.")]
