"""Settings → Webhooks (owners and admins): the portal's endpoints, a new one (its secret shown
once), and each endpoint's page: change it, pause it, rotate its secret, send a test event,
delete it; its delivery log with Redeliver. Over ``webhooks.service``, like the API."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from fastapi import Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from admit.actor import Actor
from admit.errors import DomainError
from admit.events.catalogue import EVENT_TYPES
from admit.events.models import STATUSES
from admit.kit.pagination import every
from admit.kit.routing import Router
from admit.pages.deps import PageActor, check_csrf, form_faults, redirect, render
from admit.web import SessionDep
from admit.webhooks import service

router = Router()

# An endpoint's form, the service's names to the page's (its inputs' ids): a refusal is said under
# the field at fault.
_FIELDS = {"url": "webhook-url", "description": "webhook-description", "events": "webhook-events"}


def _list_page(
    request: Request, session: Session, actor: Actor, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    endpoints = every(partial(service.list_endpoints, session, actor))
    context = {
        "nav": "settings",
        "endpoints": endpoints,
        "health": service.health(session, actor, endpoints),
        "url_hint": service.url_hint(session),
        "event_types": EVENT_TYPES,
        "form": {"events": []},
        **extra,
    }
    return render(request, "portals/webhooks.html", context, status_code=status_code)


@router.get("/p/{slug}/settings/webhooks", name="portals:webhooks")
def webhooks_page(request: Request, actor: PageActor, session: SessionDep) -> HTMLResponse:
    return _list_page(request, session, actor)


@router.post("/p/{slug}/settings/webhooks", dependencies=[Depends(check_csrf)])
def webhook_create(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    url: str = Form(""),
    description: str = Form(""),
    events: list[str] = Form(default_factory=list),
) -> HTMLResponse:
    """The new endpoint's secret is in this answer only (no redirect, cookie or log)."""
    form = {"url": url, "description": description, "events": events}
    try:
        endpoint, secret = service.create(session, actor, url=url, events=events, description=description)
    except DomainError as exc:
        return _list_page(
            request,
            session,
            actor,
            exc.status,
            form=form,
            **form_faults(session, exc, _FIELDS),
        )
    response = _endpoint_page(request, session, actor, endpoint.id, created_secret=secret)
    response.headers["Cache-Control"] = "no-store"
    return response


def _endpoint_page(
    request: Request,
    session: Session,
    actor: Actor,
    endpoint_id: uuid.UUID,
    status_code: int = 200,
    *,
    status: str | None = None,
    cursor: str | None = None,
    **extra: Any,
) -> HTMLResponse:
    endpoint = service.get(session, actor, endpoint_id)
    messages, next_cursor = service.list_messages(
        session, actor, endpoint_id, status=status if status in STATUSES else None, cursor=cursor, limit=50
    )
    opened = None
    if request.query_params.get("message"):
        try:
            opened = service.message_with_attempts(
                session, actor, endpoint_id, uuid.UUID(request.query_params["message"])
            )
        except (ValueError, DomainError):
            opened = None
    context = {
        "nav": "settings",
        "endpoint": endpoint,
        "health": service.health(session, actor, [endpoint])[endpoint.id],
        "event_types": EVENT_TYPES,
        "messages": messages,
        "next_cursor": next_cursor,
        "status": status or "",
        "statuses": STATUSES,
        "opened": opened,
        "form": {"url": endpoint.url, "description": endpoint.description, "events": list(endpoint.events)},
        **extra,
    }
    return render(request, "portals/webhook.html", context, status_code=status_code)


@router.get("/p/{slug}/settings/webhooks/{webhook_id}", name="portals:webhook")
def webhook_page(
    request: Request,
    webhook_id: uuid.UUID,
    actor: PageActor,
    session: SessionDep,
    status: str = "",
    cursor: str | None = None,
) -> HTMLResponse:
    return _endpoint_page(request, session, actor, webhook_id, status=status or None, cursor=cursor)


@router.post("/p/{slug}/settings/webhooks/{webhook_id}", dependencies=[Depends(check_csrf)])
def webhook_update(
    request: Request,
    webhook_id: uuid.UUID,
    actor: PageActor,
    session: SessionDep,
    url: str = Form(""),
    description: str = Form(""),
    events: list[str] = Form(default_factory=list),
    enabled: str = Form(""),
) -> Response:
    try:
        service.update(
            session,
            actor,
            webhook_id,
            url=url,
            description=description,
            events=events,
            enabled=enabled == "1",
        )
    except DomainError as exc:
        form = {"url": url, "description": description, "events": events}
        faults = form_faults(session, exc, _FIELDS)
        return _endpoint_page(request, session, actor, webhook_id, exc.status, form=form, **faults)
    return redirect(f"/p/{actor.portal.slug}/settings/webhooks/{webhook_id}", notice="Saved.")


@router.post(
    "/p/{slug}/settings/webhooks/{webhook_id}/rotate",
    name="portals:webhook_rotate",
    dependencies=[Depends(check_csrf)],
)
def webhook_rotate(
    request: Request, webhook_id: uuid.UUID, actor: PageActor, session: SessionDep
) -> HTMLResponse:
    _endpoint, secret = service.rotate_secret(session, actor, webhook_id)
    response = _endpoint_page(request, session, actor, webhook_id, created_secret=secret, rotated=True)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post(
    "/p/{slug}/settings/webhooks/{webhook_id}/test",
    name="portals:webhook_test",
    dependencies=[Depends(check_csrf)],
)
def webhook_test(webhook_id: uuid.UUID, actor: PageActor, session: SessionDep) -> Response:
    service.send_test(session, actor, webhook_id)
    return redirect(
        f"/p/{actor.portal.slug}/settings/webhooks/{webhook_id}",
        notice="A test event is on its way; it shows in the log below within seconds.",
    )


@router.post(
    "/p/{slug}/settings/webhooks/{webhook_id}/delete",
    name="portals:webhook_delete",
    dependencies=[Depends(check_csrf)],
)
def webhook_delete(webhook_id: uuid.UUID, actor: PageActor, session: SessionDep) -> Response:
    endpoint = service.delete_endpoint(session, actor, webhook_id)
    return redirect(
        f"/p/{actor.portal.slug}/settings/webhooks", notice=f"The endpoint {endpoint.url} was deleted."
    )


@router.post(
    "/p/{slug}/settings/webhooks/{webhook_id}/messages/{message_id}/redeliver",
    name="portals:webhook_redeliver",
    dependencies=[Depends(check_csrf)],
)
def webhook_redeliver(
    webhook_id: uuid.UUID, message_id: uuid.UUID, actor: PageActor, session: SessionDep
) -> Response:
    message = service.redeliver(session, actor, webhook_id, message_id)
    return redirect(
        f"/p/{actor.portal.slug}/settings/webhooks/{webhook_id}",
        notice=f"The {message.event_type} message will be sent again now.",
    )
