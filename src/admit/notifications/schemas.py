"""How the API shows a message's delivery: one shape wherever a message is shown (an invitation's,
a sign-up's confirmation email, a roster row's)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class DeliveryRead(BaseModel):
    """The newest message's delivery (``notifications.models.delivery_status``): none, queued
    (waiting or being sent), sent, failed, cancelled or bounced, with the reason and when it went."""

    status: Literal["none", "queued", "sent", "failed", "cancelled", "bounced"]
    error: str | None
    at: datetime | None
