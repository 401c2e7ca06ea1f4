"""The webhook API's shapes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from admit.events.models import (
    MAX_WEBHOOK_DESCRIPTION,
    MAX_WEBHOOK_URL,
    MessageStatus,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookMessage,
)
from admit.kit.apart import PartedModel
from admit.kit.json_body import JsonBody
from admit.webhooks.service import Health


class WebhookEventType(BaseModel):
    type: str
    description: str


class WebhookEventTypes(BaseModel):
    items: list[WebhookEventType]


# Types only: every rule on the values (lengths, at least one event, known events, the URL's
# scheme and host) is webhooks.service's, which says every fault of a form at once; a limit
# here would refuse the request before it, naming only its own field. The lengths are in the
# document for clients to see (json_schema_extra), not checked here.
_URL: JsonDict = {"maxLength": MAX_WEBHOOK_URL}
_DESCRIPTION: JsonDict = {"maxLength": MAX_WEBHOOK_DESCRIPTION}
_EVENTS: JsonDict = {"minItems": 1}


class WebhookCreate(JsonBody):
    url: str = Field(description="Where events are posted (https:// in production).", json_schema_extra=_URL)
    events: list[str] = Field(description="Event types to send.", json_schema_extra=_EVENTS)
    description: str = Field(default="", json_schema_extra=_DESCRIPTION)
    enabled: bool = True


class WebhookUpdate(PartedModel):
    """What to change; a value of the wrong type is said with the service's faults (parsed
    apart: ``kit.apart``)."""

    url: str | None = Field(default=None, json_schema_extra=_URL)
    events: list[str] | None = Field(default=None, json_schema_extra=_EVENTS)
    description: str | None = Field(default=None, json_schema_extra=_DESCRIPTION)
    enabled: bool | None = None


class WebhookRead(BaseModel):
    """An endpoint as its portal's owners and admins see it: never its secret."""

    id: uuid.UUID
    url: str
    description: str
    events: list[str]
    enabled: bool
    created_at: datetime
    previous_secret_until: datetime | None = Field(
        description="After a rotation, the previous secret signs too until then."
    )
    failed_in_a_row: int = Field(
        description="Its health: how many of its newest tried messages, newest first, were not "
        "delivered (retrying or failed) before one that was; 0 when healthy. Counted over the 10 "
        'newest at most: 10 means at least 10 (the settings page says "Failing").'
    )
    waiting: int = Field(
        0,
        description="Its messages not yet delivered or given up (queued, sending or retrying; "
        "webhook.test's aside): they go in order, oldest first.",
    )
    next_try_at: datetime | None = Field(
        None,
        description="When its oldest waiting message, which failed, is tried again; the others "
        "wait behind it. Null when none is waiting for a retry.",
    )

    @classmethod
    def of(cls, endpoint: WebhookEndpoint, health: Health | None = None) -> WebhookRead:
        """``health``: ``webhooks.service.health``'s (none for a new endpoint)."""
        health = health or Health()
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            description=endpoint.description,
            events=list(endpoint.events),
            enabled=endpoint.enabled,
            created_at=endpoint.created_at,
            previous_secret_until=endpoint.previous_secret_until,
            failed_in_a_row=health.failed,
            waiting=health.waiting,
            next_try_at=health.retry_at,
        )


class WebhookCreated(BaseModel):
    webhook: WebhookRead
    secret: str = Field(description="The signing secret (whsec_…): in this answer only.")


class WebhookPage(BaseModel):
    items: list[WebhookRead]
    next_cursor: str | None


class WebhookAttemptRead(BaseModel):
    created_at: datetime
    status_code: int | None
    error: str | None
    response: str
    duration_ms: int

    @classmethod
    def of(cls, attempt: WebhookAttempt) -> WebhookAttemptRead:
        return cls(
            created_at=attempt.created_at,
            status_code=attempt.status_code,
            error=attempt.error,
            response=attempt.response,
            duration_ms=attempt.duration_ms,
        )


class WebhookDeliveryRead(BaseModel):
    """One message to one endpoint: its event, where it stands, and (one by one) its attempts."""

    id: uuid.UUID
    webhook_id: uuid.UUID
    msg_id: str = Field(description="The webhook-id header: the same on every attempt.")
    event_type: str
    status: MessageStatus = Field(
        description="queued (not tried yet), sending, retrying (tried and failed: tried again at "
        "next_attempt_at), delivered, failed (every attempt failed)."
    )
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: str = Field(description="The exact JSON body that is signed and posted.")
    attempt_log: list[WebhookAttemptRead] | None = None

    @classmethod
    def of(cls, message: WebhookMessage, attempts: list[WebhookAttempt] | None = None) -> WebhookDeliveryRead:
        return cls(
            id=message.id,
            webhook_id=message.endpoint_id,
            msg_id=message.msg_id,
            event_type=message.event_type,
            status=message.status,
            attempts=message.attempts,
            next_attempt_at=message.next_attempt_at,
            last_status_code=message.last_status_code,
            last_error=message.last_error,
            created_at=message.created_at,
            delivered_at=message.delivered_at,
            payload=message.body,
            attempt_log=[WebhookAttemptRead.of(a) for a in attempts] if attempts is not None else None,
        )


class WebhookDeliveryPage(BaseModel):
    items: list[WebhookDeliveryRead]
    next_cursor: str | None
