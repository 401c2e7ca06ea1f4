from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, File, Query, Request, UploadFile
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from admit import context
from admit.api.deps import ActorDep, Limit
from admit.api.errors import problems, unparsed_faults
from admit.audit import service as audit_service
from admit.audit.schemas import AuditCategory, AuditEventPage, AuditEventRead
from admit.auth import second_factor
from admit.errors import InvalidInput, PermissionDenied
from admit.kit.routing import Router
from admit.notifications import preferences
from admit.people import activity
from admit.portals import service as portals_service
from admit.portals.models import Portal
from admit.portals.schemas import FIELDS_OF_SETTINGS, PortalRead, PortalUpdate
from admit.settings import Settings
from admit.web import SessionDep, SettingsDep, get_db

router = Router(tags=["portals"])


def read(session: Session, portal: Portal, settings: Settings) -> PortalRead:
    return PortalRead.of(
        portal,
        public_url=settings.public_url,
        mandatory=sorted(preferences.mandatory(session, portal.id)),
        sms_countries_allowed=portals_service.sms_countries(portal, settings.default_phone_region),
        without_two_factor={
            t: second_factor.count_without_factor(session, portal.id, t) for t in ("internal", "client")
        },
    )


@router.get("/portals/{portal}", response_model=PortalRead, operation_id="portals_get")
def get_portal(actor: ActorDep, session: SessionDep, settings: SettingsDep) -> PortalRead:
    return read(session, actor.portal, settings)


@router.get("/portals/{portal}/settings", response_model=PortalRead, operation_id="portals_settings_get")
def get_settings(actor: ActorDep, session: SessionDep, settings: SettingsDep) -> PortalRead:
    """The portal's settings (the same object as ``GET /portals/{portal}``)."""
    return read(session, actor.portal, settings)


@router.patch(
    "/portals/{portal}/settings",
    response_model=PortalRead,
    operation_id="portals_settings_update",
    responses=problems(PermissionDenied, InvalidInput),
)
def update_settings(
    body: PortalUpdate, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> PortalRead:
    """Change settings (the same as ``PATCH /portals/{portal}``), the sign-in policy included."""
    return update_portal(body, actor, session, settings)


@router.patch(
    "/portals/{portal}",
    response_model=PortalRead,
    operation_id="portals_update",
    responses=problems(PermissionDenied, InvalidInput),
)
def update_portal(
    body: PortalUpdate, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> PortalRead:
    """Change settings: invitation lifetime (1 hour to 30 days), products, client password rule,
    brand colour (``#rrggbb``, also taken as ``#rgb``; null removes it)."""
    # A value of the wrong type is said with what the service finds, every fault at once.
    faults = unparsed_faults(body)
    try:
        portal = portals_service.update_settings(
            session,
            actor,
            faults=faults,
            **body.settings(),  # type: ignore[arg-type]
        )
    except InvalidInput as exc:  # named as the request names its inputs (client_sign_in.…)
        if not faults.problems:
            raise exc.renamed(FIELDS_OF_SETTINGS) from None
        # The service's own faults by the service's names; those of type (said after them) are
        # named as the request sent them already (a top-level ``client_require_password`` too).
        own = [p for p in exc.field_errors if p not in faults.problems]
        named = InvalidInput.of_all(own).renamed(FIELDS_OF_SETTINGS).field_errors if own else []
        raise InvalidInput.of_all(named + faults.problems) from None
    return read(session, portal, settings)


@router.put(
    "/portals/{portal}/logo",
    response_model=PortalRead,
    operation_id="portals_logo_set",
    responses=problems(PermissionDenied, InvalidInput),
)
def set_logo(
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    logo: UploadFile = File(description="A PNG or JPEG image, at most 256 KB (no SVG)."),
) -> PortalRead:
    """Upload the portal's logo (multipart field ``logo``), shown in its pages and emails in place
    of its name; ``logo_url`` is where it is served (publicly, a new URL for each image)."""
    data = logo.file.read(portals_service.LOGO_MAX_BYTES + 1)
    portal = portals_service.set_logo(session, actor, data=data)
    return read(session, portal, settings)


@router.delete(
    "/portals/{portal}/logo",
    status_code=204,
    operation_id="portals_logo_remove",
    responses=problems(PermissionDenied),
)
def remove_logo(actor: ActorDep, session: SessionDep) -> None:
    """Remove the portal's logo: pages and emails show its name instead."""
    portals_service.remove_logo(session, actor)


@dataclass
class AuditFilters:
    """The audit log's filters, as its list and its CSV export both read them from the query."""

    category: AuditCategory | None = None
    q: Annotated[str | None, Query(description='Who or what, in part, or what was done ("revoked").')] = None
    # Days are read by the log's one reader (audit.service.day), as the page and the CLI read them.
    since: Annotated[
        str | None,
        Query(
            description="Events from this day on (YYYY-MM-DD, in the portal's time zone).",
            json_schema_extra={"format": "date"},
        ),
    ] = None
    until: Annotated[
        str | None,
        Query(
            description="Events up to the end of this day (YYYY-MM-DD, in the portal's time zone).",
            json_schema_extra={"format": "date"},
        ),
    ] = None
    actor: Annotated[
        str | None,
        Query(
            description="Who did it: a user id or an address (that person's events, an API key they made "
            "included), or the label of an API key or system (`hr:bamboohr`)."
        ),
    ] = None

    def given(self) -> dict[str, Any]:
        """As ``people.activity`` takes them (``by``: the actor filter)."""
        return {
            "category": self.category,
            "q": self.q,
            **audit_service.days(self.since, self.until),
            "by": self.actor,
        }


@router.get(
    "/portals/{portal}/audit-events",
    response_model=AuditEventPage,
    operation_id="audit_events_list",
    responses=problems(PermissionDenied, InvalidInput),
)
def list_audit_events(
    actor: ActorDep,
    session: SessionDep,
    filters: Annotated[AuditFilters, Depends()],
    cursor: str | None = None,
    limit: Limit = 100,
) -> AuditEventPage:
    """The portal's audit log, newest first, each event with its ``summary`` in words; filter by
    ``category``, ``q`` (who or what, in part), days (``since``, ``until``: in the portal's time
    zone, both included) and ``actor`` (who did it), together and with the cursor."""
    entries, next_cursor = activity.log(session, actor, cursor=cursor, limit=limit, **filters.given())
    return AuditEventPage(
        items=[AuditEventRead.of(e.event, e.summary) for e in entries], next_cursor=next_cursor
    )


@router.get(
    "/portals/{portal}/audit-events.csv",
    operation_id="audit_events_export",
    response_class=StreamingResponse,
    responses={
        200: {"description": "Every event the filters match, newest first: "
                             + ", ".join(activity.CSV_HEADER) + ".",
              "content": {"text/csv": {"schema": {"type": "string"}}}},
        **problems(PermissionDenied, InvalidInput),
    },
)  # fmt: skip
def export_audit_events(
    request: Request, actor: ActorDep, session: SessionDep, filters: Annotated[AuditFilters, Depends()]
) -> StreamingResponse:
    """The whole audit log the filters match (the list's filters), as CSV, streamed a page at a
    time: time (ISO 8601, UTC), actor, action, category, summary (the line the page shows), ip.
    Cells that would read as spreadsheet formulas start with an apostrophe."""
    # Refused filters (and who may not read the log) answer their error before the download starts.
    activity.log(session, actor, limit=1, **filters.given())
    db = get_db(request)
    stamp = context.of(session).clock.now().strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        activity.csv_lines(db, actor, **filters.given()),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{actor.portal.slug}-{stamp}.csv"'},
    )
