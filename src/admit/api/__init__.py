"""The JSON API, ``/api/v1``: one router per domain, thin over the services."""

from fastapi import Depends

from admit.api import (
    api_keys,
    auth,
    contacts,
    directory,
    email_events,
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
from admit.api.deps import known_query_only
from admit.api.openapi import describe, require_operation_id
from admit.kit.routing import Router
from admit.web import dev_mailbox_reader


def build_router(*, dev_mailbox: bool) -> Router:
    router = Router(prefix="/api/v1", generate_unique_id_function=require_operation_id)
    for module in (
        api_keys,
        auth,
        contacts,
        directory,
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
            describe(module.router, query_checked=True), dependencies=[Depends(known_query_only)]
        )
    # A mail provider's callback (its secret may come in the query) takes what the provider sends.
    router.include_router(describe(email_events.router))
    if dev_mailbox:
        from admit.api import dev

        router.include_router(describe(dev.router), dependencies=[Depends(dev_mailbox_reader)])
    return router
