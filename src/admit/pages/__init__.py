"""Server-rendered pages: one router per domain, thin over the same services as the API."""

from fastapi import Depends, FastAPI

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


def include_in(app: FastAPI, *, dev_mailbox: bool) -> None:
    """Add the pages to ``app``: included in it first, then the domains' routers in it (why:
    ``api.include_in``)."""
    router = Router(include_in_schema=False)
    app.include_router(router)
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
