"""The SCIM tokens as the API shows them (never their secret, except once at creation)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from admit.directory.hr import providers
from admit.directory.hr.plan import HrOutcome, HrSkipCode
from admit.kit.json_body import JsonBody

if TYPE_CHECKING:
    from admit.directory.models import HrConnection, HrSyncRun, ScimToken


class ScimTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        default="SCIM", min_length=1, max_length=100, description="What uses the token, e.g. “Okta”."
    )


class ScimTokenRead(BaseModel):
    """A SCIM token as the portal's owners and admins see it: never its secret."""

    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None = None

    @classmethod
    def of(cls, token: ScimToken) -> ScimTokenRead:
        return cls(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            revoked_at=token.revoked_at,
            last_used_at=token.last_used_at,
        )


class ScimTokenCreated(BaseModel):
    id: uuid.UUID
    token: str = Field(description="The token itself (Authorization: Bearer …), shown this once.")
    scim_token: ScimTokenRead


class ScimTokenPage(BaseModel):
    items: list[ScimTokenRead]
    next_cursor: str | None


# ---- HR systems ------------------------------------------------------------------------------


class HrProviderRead(BaseModel):
    """An HR system Admit can read: what it reads and what it needs to connect."""

    key: str
    title: str
    fields: list[str] = Field(description="The data Admit reads from it (the admin grants this).")
    api_key_label: str
    account_label: str | None = Field(description="The account / subdomain / client id it needs, or null.")
    needs_url: bool = Field(description="True for the generic source: the URL of the JSON or CSV list.")
    help: str
    docs_url: str


class HrProviderPage(BaseModel):
    """Every system offered (a fixed set in the code: one page, ``next_cursor`` always null)."""

    items: list[HrProviderRead]
    next_cursor: str | None = None


# Types only: the values are directory.hr.service's and the invitation pipeline's to check, which
# say every fault of a connect or a change at once; a Literal here refused the request before
# them, naming only its own field. The values are in the document (json_schema_extra).
def _one_of(*values: str) -> JsonDict:
    return {"enum": [*values, None]}


class HrOptions(JsonBody):
    model_config = ConfigDict(extra="forbid")

    schedule: str | None = Field(
        default=None,
        description="Auto-pilot: sync on this schedule: off (the default), hourly or daily.",
        json_schema_extra=_one_of("off", "hourly", "daily"),
    )
    new_hires: str | None = Field(
        default=None,
        description="invite (an email) or quiet (added without one; they sign in when they come).",
        json_schema_extra=_one_of("invite", "quiet"),
    )
    user_type: str | None = Field(default=None, json_schema_extra=_one_of("internal", "client"))
    role: str | None = None
    products: list[str] | None = None
    map_departments: bool | None = Field(
        default=None, description="Each department becomes an internal team."
    )
    manage_existing: bool | None = Field(
        default=None,
        description="Link people a sync finds already in the portal (members, invitees) to this "
        "connection, so a sync deactivates them when they leave the list. Off (the default), a sync "
        "deactivates only the people it brought in.",
    )
    allowed_domains: list[str] | None = Field(
        default=None, description="Only work emails at these domains are invited (empty: any)."
    )
    deactivate_limit_pct: int | None = Field(
        default=None,
        description="A sync deactivating more than this share (0 to 100) of active members waits for "
        "confirmation.",
    )


class HrConnectionCreate(HrOptions):
    provider: str
    api_key: str = Field(default="", description="Stored encrypted; never returned.")
    account: str = Field(default="", description="The account or subdomain, where the system has one.")
    base_url: str = Field(default="", description="The system's API (or the list's URL).")
    fields_granted: bool = Field(
        description="The admin grants Admit read access to the fields the system lists."
    )
    check: bool = Field(
        default=True, description="Read the list once now, so a wrong key or address is said at once (502)."
    )


class HrConnectionUpdate(HrOptions):
    api_key: str | None = Field(default=None, description="A new key replaces the old one.")
    account: str | None = None
    base_url: str | None = None


class HrConnectionRead(BaseModel):
    id: uuid.UUID
    provider: str
    title: str
    account: str
    base_url: str
    api_key: str = Field(description="The key, masked (its last four characters at most).")
    schedule: str
    new_hires: str
    user_type: str
    role: str
    products: list[str]
    map_departments: bool
    manage_existing: bool
    allowed_domains: list[str]
    deactivate_limit_pct: int
    status: str = Field(description="ok, failing (see last_error) or waiting (a run needs confirmation).")
    last_error: str | None
    last_sync_at: datetime | None
    next_sync_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, conn: HrConnection) -> HrConnectionRead:
        provider = providers.get(conn.provider)
        return cls(
            id=conn.id,
            provider=conn.provider,
            title=provider.title if provider is not None else conn.provider,
            account=conn.account,
            base_url=conn.base_url,
            api_key=mask(conn.api_key_hint),
            schedule=conn.schedule,
            new_hires=conn.new_hires,
            user_type=conn.user_type,
            role=conn.role,
            products=list(conn.products),
            map_departments=conn.map_departments,
            manage_existing=conn.manage_existing,
            allowed_domains=list(conn.allowed_domains),
            deactivate_limit_pct=conn.deactivate_limit_pct,
            status=conn.status,
            last_error=conn.last_error,
            last_sync_at=conn.last_sync_at,
            next_sync_at=conn.next_sync_at,
            created_at=conn.created_at,
        )


def mask(hint: str) -> str:
    """How a stored key is shown: dots, and its last four characters when it is long enough."""
    return "••••••••" + hint


REASON = 'A skip\'s code (`HrSkipCode`); "" for any other outcome. `detail` says it in words.'


class HrConnectionPage(BaseModel):
    items: list[HrConnectionRead]
    next_cursor: str | None


class HrStep(BaseModel):
    external_id: str
    name: str
    email: str
    outcome: HrOutcome
    reason: HrSkipCode | Literal[""] = Field(description=REASON)
    detail: str
    department: str = ""
    start_date: date | None = None
    managed: bool = Field(
        default=False,
        description="The connection manages them after this sync (it brought them in, or links "
        "them): only they are deactivated when they leave the list.",
    )


class HrPlanRead(BaseModel):
    total: int
    counts: dict[str, int]
    rows: list[HrStep]


class HrSyncStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    selection: list[str] | None = Field(
        default=None, description="The external ids ticked in the preview; omit to apply the whole plan."
    )
    user_type: Literal["internal", "client"] | None = Field(
        default=None, description="What the selection's new people join as (default: the connection's)."
    )
    role: str | None = Field(default=None, description="Their role (default: the connection's).")
    products: list[str] | None = Field(
        default=None, description="Their products (default: the connection's)."
    )


class HrReportRow(BaseModel):
    """One employee a run changed or skipped (the unchanged are counted only)."""

    external_id: str
    name: str
    email: str
    outcome: HrOutcome
    reason: HrSkipCode | Literal[""] = Field(description=REASON)
    detail: str
    applied: str = Field(description="What was done (updated, deactivated), or why not.")


class HrRunRead(BaseModel):
    id: uuid.UUID
    trigger: str
    status: str = Field(description="queued, running, done, failed or waiting (confirm it to apply).")
    attempts: int
    counts: dict[str, int]
    error: str | None
    import_id: uuid.UUID | None = Field(description="Its invitations, as an import: progress and report CSV.")
    report: list[HrReportRow] | None = None
    created_at: datetime
    finished_at: datetime | None
    not_before: datetime

    @classmethod
    def of(cls, run: HrSyncRun, *, with_report: bool = False) -> HrRunRead:
        return cls(
            id=run.id,
            trigger=run.trigger,
            status=run.status,
            attempts=run.attempts,
            counts=dict(run.counts or {}),
            error=run.error,
            import_id=run.import_id,
            report=[HrReportRow(**r) for r in run.report or []] if with_report else None,
            created_at=run.created_at,
            finished_at=run.finished_at,
            not_before=run.not_before,
        )


class HrRunPage(BaseModel):
    items: list[HrRunRead]
    next_cursor: str | None
