"""API dependencies: the actor from a Bearer API key, or from the session cookie plus the
``X-CSRF-Token`` header on changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from admit.actor import Actor
from admit.errors import CsrfFailed
from admit.web import SAFE_METHODS, Auth, SessionDep, csrf_ok, portal_actor, read_auth


def api_auth(request: Request, session: SessionDep) -> Auth:
    auth = read_auth(request, session)
    if (
        auth.web_session is not None
        and request.method not in SAFE_METHODS
        and not csrf_ok(auth, request.headers.get("x-csrf-token"))
    ):
        raise CsrfFailed("Send the X-CSRF-Token header given at sign-in.")
    return auth


AuthDep = Annotated[Auth, Depends(api_auth)]


def api_actor(portal: str, request: Request, session: SessionDep, auth: AuthDep) -> Actor:
    return portal_actor(request, session, portal, auth)


def actor_in(session: Session, request: Request, portal: str) -> Actor:
    """The same as ``ActorDep``, for routes that open their own unit of work (uploads, streams)."""
    return portal_actor(request, session, portal, api_auth(request, session))


ActorDep = Annotated[Actor, Depends(api_actor)]
