"""Server-rendered pages: one router per domain, thin over the same services as the API."""

from fastapi import Depends

from admit.kit.routing import Router
from admit.pages import (
    account,
    auth,
    contacts,
    errors,
    hr,
    imports,
    invitations,
    links,
    portals,
    preferences,
    scim,
    sign_in_steps,
    users,
    webhooks,
    workspaces,
)
from admit.web import dev_mailbox_reader


def build_router(*, dev_mailbox: bool) -> Router:
    router = Router(include_in_schema=False)
    for module in (
        account,
        auth,
        contacts,
        errors,
        hr,
        imports,
        invitations,
        links,
        portals,
        preferences,
        scim,
        sign_in_steps,
        users,
        webhooks,
        workspaces,
    ):
        router.include_router(module.router)
    if dev_mailbox:
        from admit.pages import dev

        router.include_router(dev.router, dependencies=[Depends(dev_mailbox_reader)])
    return router
