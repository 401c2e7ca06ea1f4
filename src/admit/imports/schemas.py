from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from admit.invitations.codes import SkipCode
from admit.kit.json_body import JsonBody

WILL_INVITE = "will_invite"
# What a preview can say of a row: invited, or one of the pipeline's own reasons to skip it
# (every one, so that a new reason is counted, sampled and shown without a change here).
OUTCOMES: tuple[str, ...] = (WILL_INVITE, *SkipCode)


def _by_outcome(schema: dict[str, Any]) -> None:
    """A preview's keys, as the API's document declares them: ``OUTCOMES``."""
    schema["propertyNames"] = {"enum": list(OUTCOMES)}


class ImportFields(BaseModel):
    """What an import is asked to do, whichever way the list comes: the multipart form's fields
    beside its ``file`` (each read as JSON's would be: a boolean is true/false, 1/0, yes/no or
    on/off, anything else refused), and ``ImportCreate``'s."""

    model_config = ConfigDict(extra="forbid")

    user_type: Literal["internal", "client"]
    role: Literal["owner", "admin", "member", "client"] | None = None
    products: list[str] | None = None
    message: str | None = Field(default=None, max_length=2000)
    dry_run: bool = False
    # Rows may carry their own role (a ``role`` column), never above ``role``.
    role_column: bool = False
    # Store it with its preview and wait for ``…/confirm`` (a list that makes owners must).
    draft: bool = False


class ImportCreate(ImportFields, JsonBody):
    """The JSON form of an import: pasted text instead of a file. A boolean is `true` or `false`
    (a multipart field's may also be written `yes` or `1`)."""

    text: str = Field(min_length=1)


class ImportSample(BaseModel):
    """One of the first rows with an outcome: its row number, what it said, the address read."""

    row: int
    recipient: str  # the row as written (its cells)
    # The cell at fault, or the one read as its address (email or phone), as written: the role
    # when that was refused; "" when none was.
    cell: str = ""
    email: str | None
    refused_role: str = ""  # the row's own role, when that is what was refused (not_allowed)
    name: str = ""  # as read from the row
    role: str = ""  # the role it will be invited with (will_invite rows)
    detail: str


class ImportPreview(BaseModel):
    total: int
    counts: dict[str, int] = Field(
        description="Rows per outcome, every one (0 or not).", json_schema_extra=_by_outcome
    )
    samples: dict[str, list[ImportSample]] = Field(
        description="The first rows of each outcome.", json_schema_extra=_by_outcome
    )
    roles: dict[str, int] = {}
    role_cells: int = 0  # rows with a role of their own
    role_column: bool = False  # whether those roles are used
    # Rows refused for asking more than the list's role (the Role column used) that the list
    # role ``raise_to`` would let in: the highest such role the inviter may give, or None.
    raisable: int = 0
    raise_to: str | None = None


class RoleColumnChoice(JsonBody):
    model_config = ConfigDict(extra="forbid")

    use: bool
    # The list's role (owner, admin or member): every row's when the column is not used, the
    # most a row may ask for when it is. Unset: as it was.
    role: str | None = None


class ImportConfirm(JsonBody):
    model_config = ConfigDict(extra="forbid")

    owners_confirmed: bool = False


class ImportStatus(BaseModel):
    id: uuid.UUID
    status: Literal["previewed", "queued", "running", "waiting", "done", "failed"]
    total: int
    processed: int
    invited: int
    skipped: dict[SkipCode, int]  # rows skipped, by why
    error: str | None
    resume_at: datetime | None = None  # ``waiting``: when it goes on
    errors_url: str
    report_url: str
    preview: ImportPreview | None = None


class ImportCreated(ImportStatus):
    """The answer to starting an import: its status, and whether this request made it."""

    created: bool = Field(
        description="false: an earlier request with the same Idempotency-Key made it (this answers that one)."
    )
