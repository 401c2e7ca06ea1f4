"""The JSON API, ``/api/v1``: one router per domain, thin over the services."""

from fastapi import APIRouter

from admit.api import (
    api_keys,
    auth,
    contacts,
    imports,
    invitations,
    links,
    members,
    portals,
    teams,
    workspaces,
)


def build_router(*, dev_mailbox: bool) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    for module in (
        api_keys,
        auth,
        contacts,
        imports,
        invitations,
        links,
        members,
        portals,
        teams,
        workspaces,
    ):
        router.include_router(module.router)
    if dev_mailbox:
        from admit.api import dev

        router.include_router(dev.router)
    return router
