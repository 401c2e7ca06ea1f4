from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from admit.notifications.models import DeliveryFilter

if TYPE_CHECKING:
    from admit.bulk.models import BulkJob


class BulkFilter(BaseModel):
    """Every roster row these filters match (as ``GET …/people`` reads them)."""

    model_config = ConfigDict(extra="forbid")

    user_type: Literal["internal", "client"] | None = None
    status: Literal["pending", "active", "deactivated", "expired", "revoked"] | None = None
    role: Literal["owner", "admin", "member", "client"] | None = None
    product: str | None = None
    delivery: DeliveryFilter | None = None
    two_step: Literal["set_up", "not_set_up"] | None = None
    invited_by: uuid.UUID | None = None
    q: str | None = None


# ``bulk.models.BulkAction``, as the API's documents name them.
ActionName = Literal["resend", "revoke", "deactivate", "reactivate"]


class BulkRequest(BaseModel):
    """``ids`` (roster row ids: invitations for resend and revoke, members for deactivate and
    reactivate) or
    ``filter`` (every row it matches that the action applies to), not both."""

    model_config = ConfigDict(extra="forbid")

    action: ActionName
    ids: list[uuid.UUID] | None = Field(default=None, max_length=200_000)
    filter: BulkFilter | None = None


class BulkPreviewRead(BaseModel):
    """What a bulk action on every row some filters match would take, before it is started."""

    total: int = Field(description="How many rows the filters match (as `GET …/people` counts them).")
    applies: dict[ActionName, int] = Field(
        description="For each action this caller may take, how many of those rows it applies to "
        '(`{"resend": 12, "revoke": 12, "deactivate": 0, …}`): the rest would be skipped.'
    )


class BulkSkipRead(BaseModel):
    """One row a job did not do, as User Management names it (``flows.people_bulk.Skipped``)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID = Field(description="The row: an invitation's id (resend, revoke) or a member's.")
    code: str = Field(description="The error code it was counted under in `counts`.")
    address: str = Field(description="Their email or phone; empty when the row is gone since.")
    name: str = Field(description="The name the portal shows them by; empty when none.")
    user_id: uuid.UUID | None = Field(description="A member's user id; null for an invitation.")
    why: str = Field(description="Why, in the words of the service that refused it.")


class BulkJobRead(BaseModel):
    id: uuid.UUID
    action: ActionName
    status: Literal["queued", "running", "done"]
    total: int
    done: int
    counts: dict[str, int]  # "done", or the error code each row that was not done got
    skipped: str = Field(
        description='Once done, the rows not done and why, in words ("7 skipped: 2 accepted or revoked '
        'already, …", most first); empty when none.'
    )
    skips: list[BulkSkipRead] = Field(
        description="The rows not done so far, each naming the person and why (the first 50; `counts` "
        "counts them all), as User Management names them."
    )

    @classmethod
    def of(cls, job: BulkJob, skipped: str, skips: Iterable[Any]) -> BulkJobRead:
        """``skipped``: ``flows.people_bulk.skipped_said``; ``skips``: ``skipped_people``."""
        data: dict[str, Any] = {
            "id": job.id,
            "action": job.action,
            "status": job.status,
            "total": job.total,
            "done": job.done,
            "counts": dict(job.counts or {}),
            "skipped": skipped,
            "skips": [BulkSkipRead.model_validate(skip) for skip in skips],
        }
        return cls(**data)
