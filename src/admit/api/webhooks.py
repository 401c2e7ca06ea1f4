"""The portal's webhook endpoints (owners and admins): the events on offer; list, add, change,
delete an endpoint; rotate its secret; send a test event; its delivery log and Redeliver."""

from __future__ import annotations

import uuid

from fastapi import Response
from sqlalchemy.orm import Session

from admit.actor import Actor
from admit.api.deps import ActorDep, Limit
from admit.api.errors import problems, unparsed_faults
from admit.api.openapi import ACTOR_ERRORS
from admit.errors import InvalidInput, PermissionDenied, WebhookNotFound
from admit.events.catalogue import EVENT_TYPES
from admit.events.models import MessageStatus, WebhookEndpoint
from admit.kit.routing import Router
from admit.web import SessionDep
from admit.webhooks import service
from admit.webhooks.schemas import (
    WebhookCreate,
    WebhookCreated,
    WebhookDeliveryPage,
    WebhookDeliveryRead,
    WebhookEventType,
    WebhookEventTypes,
    WebhookPage,
    WebhookRead,
    WebhookUpdate,
)

router = Router(tags=["webhooks"])

ONE = problems(*ACTOR_ERRORS, PermissionDenied, WebhookNotFound)


@router.get("/webhooks/event-types", response_model=WebhookEventTypes, operation_id="webhook_event_types")
def event_types() -> WebhookEventTypes:
    """Every event an endpoint can subscribe to."""
    return WebhookEventTypes(items=[WebhookEventType(type=t, description=d) for t, d in EVENT_TYPES.items()])


@router.get(
    "/portals/{portal}/webhooks",
    response_model=WebhookPage,
    operation_id="webhooks_list",
    responses=problems(*ACTOR_ERRORS, PermissionDenied),
)
def list_webhooks(
    actor: ActorDep, session: SessionDep, cursor: str | None = None, limit: Limit = 100
) -> WebhookPage:
    """The portal's endpoints, newest first; never their secrets."""
    rows, next_cursor = service.list_endpoints(session, actor, cursor=cursor, limit=limit)
    health = service.health(session, actor, rows)
    return WebhookPage(items=[WebhookRead.of(e, health[e.id]) for e in rows], next_cursor=next_cursor)


@router.post(
    "/portals/{portal}/webhooks",
    response_model=WebhookCreated,
    status_code=201,
    operation_id="webhooks_create",
    responses=problems(*ACTOR_ERRORS, PermissionDenied, InvalidInput),
)
def create_webhook(body: WebhookCreate, actor: ActorDep, session: SessionDep) -> WebhookCreated:
    """A new endpoint. Its signing secret is in this answer only. Loopback, private and
    link-local addresses are refused (unless ``ADMIT_WEBHOOKS_ALLOW_PRIVATE``)."""
    endpoint, secret = service.create(
        session, actor, url=body.url, events=body.events, description=body.description, enabled=body.enabled
    )
    return WebhookCreated(webhook=WebhookRead.of(endpoint), secret=secret)


@router.get(
    "/portals/{portal}/webhooks/{webhook_id}",
    response_model=WebhookRead,
    operation_id="webhooks_get",
    responses=ONE,
)
def get_webhook(webhook_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> WebhookRead:
    return _read(session, actor, service.get(session, actor, webhook_id))


def _read(session: Session, actor: Actor, endpoint: WebhookEndpoint) -> WebhookRead:
    """An endpoint as the API answers it, with its health (``service.health``)."""
    return WebhookRead.of(endpoint, service.health(session, actor, [endpoint])[endpoint.id])


@router.patch(
    "/portals/{portal}/webhooks/{webhook_id}",
    response_model=WebhookRead,
    operation_id="webhooks_update",
    responses=problems(*ACTOR_ERRORS, PermissionDenied, WebhookNotFound, InvalidInput),
)
def update_webhook(
    webhook_id: uuid.UUID, body: WebhookUpdate, actor: ActorDep, session: SessionDep
) -> WebhookRead:
    """Change what is given (``enabled: false`` pauses it: messages wait until it is enabled)."""
    endpoint = service.update(
        session,
        actor,
        webhook_id,
        url=body.url,
        events=body.events,
        description=body.description,
        enabled=body.enabled,
        faults=unparsed_faults(body),
    )
    return _read(session, actor, endpoint)


@router.delete(
    "/portals/{portal}/webhooks/{webhook_id}", status_code=204, operation_id="webhooks_delete", responses=ONE
)
def delete_webhook(webhook_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> Response:
    """Delete the endpoint with its messages and their log."""
    service.delete_endpoint(session, actor, webhook_id)
    return Response(status_code=204)


@router.post(
    "/portals/{portal}/webhooks/{webhook_id}/rotate-secret",
    response_model=WebhookCreated,
    operation_id="webhooks_rotate_secret",
    responses=ONE,
)
def rotate_secret(webhook_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> WebhookCreated:
    """A new signing secret, in this answer only; the previous one signs too for 24 hours."""
    endpoint, secret = service.rotate_secret(session, actor, webhook_id)
    return WebhookCreated(webhook=_read(session, actor, endpoint), secret=secret)


@router.post(
    "/portals/{portal}/webhooks/{webhook_id}/test",
    response_model=WebhookDeliveryRead,
    status_code=202,
    operation_id="webhooks_send_test",
    responses=ONE,
)
def send_test(webhook_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> WebhookDeliveryRead:
    """Queue a ``webhook.test`` event to the endpoint (whatever it subscribes to)."""
    return WebhookDeliveryRead.of(service.send_test(session, actor, webhook_id))


@router.get(
    "/portals/{portal}/webhooks/{webhook_id}/deliveries",
    response_model=WebhookDeliveryPage,
    operation_id="webhook_deliveries_list",
    responses=ONE,
)
def list_deliveries(
    webhook_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    status: MessageStatus | None = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> WebhookDeliveryPage:
    """The endpoint's messages, newest first (``status`` narrows them)."""
    rows, next_cursor = service.list_messages(
        session, actor, webhook_id, status=status, cursor=cursor, limit=limit
    )
    return WebhookDeliveryPage(items=[WebhookDeliveryRead.of(m) for m in rows], next_cursor=next_cursor)


@router.get(
    "/portals/{portal}/webhooks/{webhook_id}/deliveries/{delivery_id}",
    response_model=WebhookDeliveryRead,
    operation_id="webhook_deliveries_get",
    responses=ONE,
)
def get_delivery(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> WebhookDeliveryRead:
    """One message with every attempt (status code, error, the start of the answer, time taken)."""
    message, attempts = service.message_with_attempts(session, actor, webhook_id, delivery_id)
    return WebhookDeliveryRead.of(message, attempts)


@router.post(
    "/portals/{portal}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    response_model=WebhookDeliveryRead,
    status_code=202,
    operation_id="webhook_deliveries_redeliver",
    responses=ONE,
)
def redeliver(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> WebhookDeliveryRead:
    """Send the message again now (same ``webhook-id`` and body, signed afresh)."""
    return WebhookDeliveryRead.of(service.redeliver(session, actor, webhook_id, delivery_id))
