"""The JSON API, ``/api/v1``: one router per domain, thin over the services."""

from fastapi import Depends, FastAPI

from admit.api import (
    api_keys,
    auth,
    contacts,
    directory,
    email_events,
    errors,
    imports,
    invitations,
    links,
    me,
    members,
    portals,
    scim_tokens,
    teams,
    webhooks,
    workspaces,
)
from admit.api.deps import known_body_only, known_query_only
from admit.api.openapi import describe, require_operation_id
from admit.kit.routing import Router
from admit.web import dev_mailbox_reader


def include_in(app: FastAPI, *, dev_mailbox: bool) -> None:
    """Add the API to ``app``: included in it first, then the domains' routers in it.

    FastAPI (0.165) keeps an inclusion as it is and builds each route's state for the app as the
    app starts serving; but including a router that already includes others, at no prefix, builds
    all their routes' state once more just to check their paths (~0.3 s of CPU at each start).
    Included while still empty, the API is checked at no cost."""
    router = Router(prefix="/api/v1", generate_unique_id_function=require_operation_id)
    app.include_router(router)
    for module in (
        api_keys,
        auth,
        contacts,
        directory,
        errors,
        imports,
        invitations,
        links,
        me,
        members,
        portals,
        scim_tokens,
        teams,
        webhooks,
        workspaces,
    ):
        router.include_router(
            describe(module.router, query_checked=True),
            dependencies=[Depends(known_query_only), Depends(known_body_only)],
        )
    # A mail provider's callback (its secret may come in the query) takes what the provider sends.
    router.include_router(describe(email_events.router))
    if dev_mailbox:
        from admit.api import dev

        router.include_router(describe(dev.router), dependencies=[Depends(dev_mailbox_reader)])
