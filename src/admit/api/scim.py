"""SCIM 2.0 (RFC 7643, RFC 7644) at ``/scim/v2``: Users and Groups for Okta, Entra ID and any
SCIM client, authenticated by a portal's SCIM token (``Authorization: Bearer scim_…``).

The protocol is ``scim2-models``' (validation of requests, PATCH, filters, discovery); what a
change does in the portal is ``flows.scim``'s. It is its own small ASGI app mounted by
``app.create_app``, so that every error here is SCIM's error JSON (RFC 7644 §3.12), never
problem+json, and so that its routes stay out of the ``/api/v1`` OpenAPI document.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    GroupMember,
    GroupMembership,
    Meta,
    Patch,
    PatchOp,
    ResourceType,
    ResponseParameters,
    SCIMException,
    SearchRequest,
    ServiceProviderConfig,
    Sort,
    User,
)
from scim2_models.path import AttrPath, CompareOperator, Comparison, LogicalExpr, LogicalOperator, ValuePath
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from admit.actor import Actor
from admit.db import Database
from admit.directory.models import ScimGroup, ScimUser
from admit.errors import Conflict, DomainError, ErrorCode, RateLimited
from admit.flows import scim as scim_flow
from admit.web import SessionDep, client_ip

SCIM_JSON = "application/scim+json"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
MAX_RESULTS = 200

UserModel = User[EnterpriseUser]


class ScimError(Exception):
    """An answer in SCIM's error format (RFC 7644 §3.12)."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type


def _error_response(status: int, detail: str, scim_type: str | None = None) -> Response:
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    headers = {"WWW-Authenticate": 'Bearer realm="SCIM"'} if status == 401 else None
    return Response(json.dumps(body), status_code=status, media_type=SCIM_JSON, headers=headers)


def _from_domain(exc: DomainError) -> Response:
    """A domain error as SCIM reads it: a conflict over a name is ``uniqueness``; a value that
    is not acceptable is ``invalidValue``."""
    scim_type = None
    status = exc.status
    if exc.code is ErrorCode.INVALID_INPUT or status == 422:
        status, scim_type = 400, "invalidValue"
    elif isinstance(exc, Conflict) and exc.code in (ErrorCode.CONFLICT, ErrorCode.TEAM_EXISTS):
        scim_type = "uniqueness"
    response = _error_response(status, exc.message, scim_type)
    retry_after = getattr(exc, "retry_after", None) if isinstance(exc, RateLimited) else None
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _invalid_detail(exc: ValidationError) -> str:
    """A refused value as SCIM's ``detail``: the attribute in SCIM's words, then what is wrong
    ("active: Input should be a valid boolean, unable to interpret input."), never pydantic's
    "1 validation error for …" and its link."""
    first = exc.errors()[0]
    words = [str(p) for p in first["loc"] if isinstance(p, str)]
    attr = ".".join(w.split("_")[0] + "".join(x.title() for x in w.split("_")[1:]) for w in words)
    return f"{attr or 'The body'}: {first['msg'].rstrip('.')}."


def _answer(body: dict[str, Any], status: int = 200, location: str | None = None) -> Response:
    headers = {"Location": location} if location else None
    return Response(json.dumps(body, default=str), status_code=status, media_type=SCIM_JSON, headers=headers)


async def scim_body(request: Request) -> Any:
    """The request's JSON (``application/scim+json`` or ``application/json``)."""
    raw = await request.body()
    try:
        return json.loads(raw or b"null")
    except ValueError:
        raise ScimError(400, "The body is not JSON.", "invalidSyntax") from None


def scim_actor(request: Request, session: SessionDep) -> Actor:
    header = request.headers.get("authorization", "")
    raw = header[7:].strip() if header.lower().startswith("bearer ") else ""
    actor = scim_flow.token_actor(session, raw, ip=client_ip(request)) if raw else None
    if actor is None:
        raise ScimError(401, "Send a valid SCIM token: Authorization: Bearer <token>.")
    return actor


ActorDep = Depends(scim_actor)
BodyDep = Depends(scim_body)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/scim/v2"


def _params(query: Any) -> ResponseParameters[Any] | None:
    attributes = query.get("attributes")
    excluded = query.get("excludedAttributes")
    if not attributes and not excluded:
        return None
    return ResponseParameters[Any].model_validate(
        {"attributes": attributes or None, "excludedAttributes": excluded or None}
    )


# ---- users ----------------------------------------------------------------------------------


def _user_model(session: Session, actor: Actor, row: ScimUser, base: str) -> Any:
    model = UserModel.model_validate(row.resource or {})
    model.id = str(row.id)
    model.user_name = row.user_name
    model.external_id = row.external_id
    # The person's real standing (a member deactivated in Admit is false), not the last word
    # sent; an attribute the directory removed (or never sent) is not answered back.
    model.active = scim_flow.active_of(session, actor, row) if "active" in (row.resource or {}) else None
    groups = scim_flow.groups_of(session, row)
    model.groups = [
        GroupMembership(value=str(g.id), display=g.display_name, ref=f"{base}/Groups/{g.id}") for g in groups
    ] or None
    model.meta = Meta(
        resource_type="User",
        created=row.created_at,
        last_modified=row.updated_at,
        location=f"{base}/Users/{row.id}",
    )
    return model


def _dump(model: Any, ctx: Context, params: ResponseParameters[Any] | None = None) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_dump(scim_ctx=ctx, response_parameters=params, mode="json")
    return dumped


def _stored(model: Any) -> dict[str, Any]:
    """What is kept of a resource: everything it says but its id, meta, groups and password."""
    data: dict[str, Any] = model.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, mode="json")
    for key in ("id", "meta", "groups", "password"):
        data.pop(key, None)
    return data


def _as_bool(value: Any) -> Any:
    """Entra ID sends booleans as the strings "True" and "False"."""
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value


def _chosen(values: list[Any], *kinds: str) -> Any:
    """The one of a multi-valued attribute (emails, phoneNumbers) to reach someone at: the
    primary, else the first of these ``kinds`` in order, else the first."""
    ranked = [
        next((v for v in values if v.primary), None),
        *(next((v for v in values if (v.type or "").lower() == kind), None) for kind in kinds),
        values[0] if values else None,
    ]
    return next((v for v in ranked if v is not None), None)


def _user_fields(model: Any) -> scim_flow.UserFields:
    chosen = _chosen(list(model.emails or []), "work")
    phone = _chosen(list(model.phone_numbers or []), "mobile", "work")
    name = model.name
    display = model.display_name or (name.formatted if name else None) or ""
    if not display and name:
        display = " ".join(p for p in (name.given_name, name.family_name) if p)
    return scim_flow.UserFields(
        user_name=model.user_name or "",
        address=(chosen.value if chosen else None) or model.user_name or "",
        phone=(phone.value if phone else None) or "",
        display_name=display,
        external_id=model.external_id,
        active=model.active is not False,
        resource=_stored(model),
    )


def _validate(model: Any, payload: Any, ctx: Context) -> Any:
    if not isinstance(payload, dict):
        raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
    if "active" in payload:
        payload = {**payload, "active": _as_bool(payload["active"])}
    return model.model_validate(payload, scim_ctx=ctx)


def _user_or_404(session: Session, actor: Actor, user_id: str) -> ScimUser:
    row = None
    with contextlib.suppress(ValueError):
        row = scim_flow.get_user(session, actor, uuid.UUID(user_id))
    if row is None:
        raise ScimError(404, f"No user {user_id}.")
    return row


def _group_or_404(session: Session, actor: Actor, group_id: str) -> ScimGroup:
    row = None
    with contextlib.suppress(ValueError):
        row = scim_flow.get_group(session, actor, uuid.UUID(group_id))
    if row is None:
        raise ScimError(404, f"No group {group_id}.")
    return row


def _normalised_patch(payload: Any) -> Any:
    """Entra's quirks, read as the RFC means: ``"False"`` for false (in ``active``, with or
    without a path). Capitalised op names are accepted by scim2-models itself."""
    if not isinstance(payload, dict):
        raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
    operations = payload.get("Operations")
    if not isinstance(operations, list):
        raise ScimError(400, "A PATCH needs its Operations.", "invalidSyntax")
    out = []
    for op in operations:
        if isinstance(op, dict):
            op = dict(op)
            path = str(op.get("path") or "")
            value = op.get("value")
            if path.lower() == "active":
                op["value"] = _as_bool(value)
            elif not path and isinstance(value, dict):
                op["value"] = {k: (_as_bool(v) if k.lower() == "active" else v) for k, v in value.items()}
        out.append(op)
    return {**payload, "Operations": out}


def _search(payload: Any) -> dict[str, Any]:
    """A SearchRequest body (POST …/.search) as the query parameters of a GET."""
    if not isinstance(payload, dict):
        raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
    out: dict[str, Any] = {}
    for key in ("filter", "startIndex", "count", "attributes", "excludedAttributes"):
        value = payload.get(key)
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        if value is not None:
            out[key] = str(value)
    return out


def _paging(query: dict[str, Any]) -> tuple[int, int]:
    def number(name: str, default: int) -> int:
        text = query.get(name)
        if text is None or text == "":
            return default
        try:
            return int(text)
        except ValueError:
            raise ScimError(400, f"{name} must be an integer.", "invalidValue") from None

    start = max(1, number("startIndex", 1))
    count = max(0, min(number("count", MAX_RESULTS), MAX_RESULTS))
    return start, count


def _filter(model: Any, text: str | None) -> Any:
    if not text:
        return None
    try:
        # SearchRequest checks the filter strictly: an attribute the resource does not have is
        # the client's error (400 invalidFilter), where a bare ScimFilter matches nothing.
        flt = SearchRequest[model].model_validate({"filter": text}).filter
    except SCIMException:
        raise
    except ValidationError as exc:
        raise ScimError(
            400, f"The filter cannot be read: {exc.errors()[0]['msg']}.", "invalidFilter"
        ) from None
    except ValueError as exc:
        raise ScimError(400, f"The filter cannot be read: {exc}", "invalidFilter") from None
    return flt


def _narrowing(flt: Any, names: dict[str, str]) -> dict[str, str]:
    """For a filter that is one ``attr eq "value"`` on a stored column: that column's value, so
    the query reads one row instead of the portal's all (the filter still decides)."""
    if flt is None:
        return {}
    node = flt.ast
    if (
        isinstance(node, Comparison)
        and node.op is CompareOperator.eq
        and isinstance(node.attr_path, AttrPath)
        and not node.attr_path.sub_attr
        and isinstance(node.value, str)
    ):
        column = names.get(node.attr_path.attr.lower())
        if column:
            return {column: node.value}
    return {}


def _looked_for(flt: Any) -> str | None:
    """The userName or email a filter looks one person up by, as Okta and Entra ID match before
    they create: ``userName eq "…"``, ``emails.value eq "…"`` or ``emails[type eq "work"].value
    eq "…"`` (``emails[value eq "…"]``); None for any other filter."""
    if flt is None:
        return None
    node = flt.ast
    if isinstance(node, ValuePath) and node.attr_path.attr.lower() == "emails" and not node.sub_attr:
        terms = node.val_filter.terms if isinstance(node.val_filter, LogicalExpr) else (node.val_filter,)
        if isinstance(node.val_filter, LogicalExpr) and node.val_filter.op is not LogicalOperator.and_:
            return None
        value = next(
            (t for t in terms if isinstance(t, Comparison) and t.attr_path.attr.lower() == "value"), None
        )
        if value is None or value.op is not CompareOperator.eq or not isinstance(value.value, str):
            return None
        return value.value
    if not (isinstance(node, Comparison) and node.op is CompareOperator.eq and isinstance(node.value, str)):
        return None
    path = node.attr_path
    attr = (path.attr or "").lower(), (path.sub_attr or "").lower()
    return node.value if attr in (("username", ""), ("emails", "value")) else None


def _list(request: Request, items: list[dict[str, Any]], total: int, start: int) -> Response:
    return _answer(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(items),
            "Resources": items,
        }
    )


def build_app(db: Database) -> FastAPI:
    """The SCIM endpoints, mounted at ``/scim/v2`` by ``app.create_app``."""
    scim = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    scim.state.db = db
    _install_errors(scim)
    _routes(scim)
    return scim


def _install_errors(scim: FastAPI) -> None:
    @scim.exception_handler(ScimError)
    async def _scim_error(_request: Request, exc: ScimError) -> Response:
        return _error_response(exc.status, exc.detail, exc.scim_type)

    @scim.exception_handler(SCIMException)
    async def _library_error(_request: Request, exc: SCIMException) -> Response:
        cause = exc.__cause__  # a PATCH's value the model refused: its text was pydantic's
        detail = _invalid_detail(cause) if isinstance(cause, ValidationError) else exc.detail
        return _error_response(exc.status, detail, exc.scim_type or None)

    @scim.exception_handler(ValidationError)
    async def _invalid(_request: Request, exc: ValidationError) -> Response:
        from scim2_models import Error

        first = Error.from_validation_errors(exc)[0]
        return _error_response(first.status or 400, _invalid_detail(exc), first.scim_type)

    @scim.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> Response:
        return _from_domain(exc)

    @scim.exception_handler(RequestValidationError)
    async def _request_invalid(_request: Request, exc: RequestValidationError) -> Response:
        return _error_response(400, str(exc.errors()[:1]), "invalidValue")

    @scim.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> Response:
        return _error_response(exc.status_code, str(exc.detail))


def _routes(scim: FastAPI) -> None:  # noqa: C901 - one route per SCIM operation
    @scim.get("/ServiceProviderConfig")
    def service_provider_config(request: Request, actor: Actor = ActorDep) -> Response:
        return _answer(_dump(_config(_base(request)), Context.RESOURCE_QUERY_RESPONSE))

    @scim.get("/Schemas")
    def schemas(request: Request, actor: Actor = ActorDep) -> Response:
        items = [_dump(s, Context.RESOURCE_QUERY_RESPONSE) for s in _schemas(_base(request))]
        return _list(request, items, len(items), 1)

    @scim.get("/Schemas/{schema_id}")
    def schema(schema_id: str, request: Request, actor: Actor = ActorDep) -> Response:
        for s in _schemas(_base(request)):
            if s.id == schema_id:
                return _answer(_dump(s, Context.RESOURCE_QUERY_RESPONSE))
        raise ScimError(404, f"No schema {schema_id}.")

    @scim.get("/ResourceTypes")
    def resource_types(request: Request, actor: Actor = ActorDep) -> Response:
        items = [_dump(t, Context.RESOURCE_QUERY_RESPONSE) for t in _resource_types(_base(request))]
        return _list(request, items, len(items), 1)

    @scim.get("/ResourceTypes/{name}")
    def resource_type(name: str, request: Request, actor: Actor = ActorDep) -> Response:
        for t in _resource_types(_base(request)):
            if t.id == name or t.name == name:
                return _answer(_dump(t, Context.RESOURCE_QUERY_RESPONSE))
        raise ScimError(404, f"No resource type {name}.")

    def users_page(request: Request, session: Session, actor: Actor, query: dict[str, Any]) -> Response:
        base = _base(request)
        flt = _filter(UserModel, query.get("filter"))
        narrow = _narrowing(flt, {"username": "user_name", "externalid": "external_id"})
        looked_for = _looked_for(flt)
        if looked_for:  # someone already in the portal is taken over, then found
            scim_flow.match_user(session, actor, looked_for)
        start, count = _paging(query)
        models = [
            _user_model(session, actor, r, base) for r in scim_flow.find_users(session, actor, **narrow)
        ]
        if flt is not None:
            models = [m for m in models if flt.match(m)]
        params = _params(query)
        page = models[start - 1 : start - 1 + count]
        return _list(request, [_dump(m, Context.SEARCH_RESPONSE, params) for m in page], len(models), start)

    @scim.api_route("/Me", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def me(actor: Actor = ActorDep) -> Response:
        # RFC 7644 §3.11: a token stands for a portal's directory, not a person.
        raise ScimError(501, "/Me is not offered: a SCIM token stands for a directory, not a person.")

    @scim.post("/Bulk")
    def bulk(actor: Actor = ActorDep) -> Response:
        raise ScimError(501, "Bulk is not offered (ServiceProviderConfig: bulk.supported false).")

    @scim.post("/.search")
    def search_everything(actor: Actor = ActorDep) -> Response:
        raise ScimError(501, "Search one resource type at a time: POST /Users/.search or /Groups/.search.")

    @scim.get("/Users")
    def list_users(request: Request, session: SessionDep, actor: Actor = ActorDep) -> Response:
        return users_page(request, session, actor, dict(request.query_params))

    @scim.post("/Users/.search")
    def search_users(
        request: Request, session: SessionDep, payload: Any = BodyDep, actor: Actor = ActorDep
    ) -> Response:
        return users_page(request, session, actor, _search(payload))

    @scim.post("/Users")
    def create_user(
        request: Request, session: SessionDep, payload: Any = BodyDep, actor: Actor = ActorDep
    ) -> Response:
        model = _validate(UserModel, payload, Context.RESOURCE_CREATION_REQUEST)
        row = scim_flow.create_user(session, actor, _user_fields(model))
        out = _user_model(session, actor, row, _base(request))
        return _answer(_dump(out, Context.RESOURCE_CREATION_RESPONSE), 201, out.meta.location)

    @scim.get("/Users/{user_id}")
    def read_user(user_id: str, request: Request, session: SessionDep, actor: Actor = ActorDep) -> Response:
        row = _user_or_404(session, actor, user_id)
        out = _user_model(session, actor, row, _base(request))
        return _answer(_dump(out, Context.RESOURCE_QUERY_RESPONSE, _params(request.query_params)))

    @scim.put("/Users/{user_id}")
    def replace_user(
        user_id: str, request: Request, session: SessionDep, payload: Any = BodyDep, actor: Actor = ActorDep
    ) -> Response:
        row = _user_or_404(session, actor, user_id)
        base = _base(request)
        original = _user_model(session, actor, row, base)
        model = _validate(UserModel, payload, Context.RESOURCE_REPLACEMENT_REQUEST)
        model.replace(original)
        scim_flow.replace_user(session, actor, row, _user_fields(model))
        out = _user_model(session, actor, row, base)
        return _answer(_dump(out, Context.RESOURCE_REPLACEMENT_RESPONSE))

    @scim.patch("/Users/{user_id}")
    def patch_user(
        user_id: str, request: Request, session: SessionDep, payload: Any = BodyDep, actor: Actor = ActorDep
    ) -> Response:
        row = _user_or_404(session, actor, user_id)
        base = _base(request)
        model = _user_model(session, actor, row, base)
        model.active = row.active  # what the directory said: a PATCH of other attributes keeps it
        patch = PatchOp[UserModel].model_validate(
            _normalised_patch(payload), scim_ctx=Context.RESOURCE_PATCH_REQUEST
        )
        if patch.patch(model):
            model.active = _as_bool(model.active)
            scim_flow.replace_user(session, actor, row, _user_fields(model))
        out = _user_model(session, actor, row, base)
        return _answer(_dump(out, Context.RESOURCE_PATCH_RESPONSE, _params(request.query_params)))

    @scim.delete("/Users/{user_id}", status_code=204)
    def delete_user(user_id: str, session: SessionDep, actor: Actor = ActorDep) -> Response:
        scim_flow.delete_user(session, actor, _user_or_404(session, actor, user_id))
        return Response(status_code=204)

    # ---- groups ----

    def groups_page(request: Request, session: Session, actor: Actor, query: dict[str, Any]) -> Response:
        base = _base(request)
        flt = _filter(Group, query.get("filter"))
        narrow = _narrowing(flt, {"displayname": "display_name"})
        start, count = _paging(query)
        models = [_group_model(session, g, base) for g in scim_flow.find_groups(session, actor, **narrow)]
        if flt is not None:
            models = [m for m in models if flt.match(m)]
        params = _params(query)
        page = models[start - 1 : start - 1 + count]
        return _list(request, [_dump(m, Context.SEARCH_RESPONSE, params) for m in page], len(models), start)

    @scim.get("/Groups")
    def list_groups(request: Request, session: SessionDep, actor: Actor = ActorDep) -> Response:
        return groups_page(request, session, actor, dict(request.query_params))

    @scim.post("/Groups/.search")
    def search_groups(
        request: Request, session: SessionDep, payload: Any = BodyDep, actor: Actor = ActorDep
    ) -> Response:
        return groups_page(request, session, actor, _search(payload))

    @scim.post("/Groups")
    def create_group(
        request: Request, session: SessionDep, payload: Any = BodyDep, actor: Actor = ActorDep
    ) -> Response:
        model = _validate(Group, payload, Context.RESOURCE_CREATION_REQUEST)
        group = scim_flow.create_group(session, actor, _group_fields(model))
        out = _group_model(session, group, _base(request))
        return _answer(_dump(out, Context.RESOURCE_CREATION_RESPONSE), 201, out.meta.location)

    @scim.get("/Groups/{group_id}")
    def read_group(group_id: str, request: Request, session: SessionDep, actor: Actor = ActorDep) -> Response:
        group = _group_or_404(session, actor, group_id)
        out = _group_model(session, group, _base(request))
        return _answer(_dump(out, Context.RESOURCE_QUERY_RESPONSE, _params(request.query_params)))

    @scim.put("/Groups/{group_id}")
    def replace_group(
        group_id: str, request: Request, session: SessionDep, payload: Any = BodyDep, actor: Actor = ActorDep
    ) -> Response:
        group = _group_or_404(session, actor, group_id)
        base = _base(request)
        original = _group_model(session, group, base)
        model = _validate(Group, payload, Context.RESOURCE_REPLACEMENT_REQUEST)
        model.replace(original)
        scim_flow.replace_group(session, actor, group, _group_fields(model))
        return _answer(_dump(_group_model(session, group, base), Context.RESOURCE_REPLACEMENT_RESPONSE))

    @scim.patch("/Groups/{group_id}")
    def patch_group(
        group_id: str, request: Request, session: SessionDep, payload: Any = BodyDep, actor: Actor = ActorDep
    ) -> Response:
        group = _group_or_404(session, actor, group_id)
        base = _base(request)
        model = _group_model(session, group, base)
        patch = PatchOp[Group].model_validate(
            _normalised_patch(payload), scim_ctx=Context.RESOURCE_PATCH_REQUEST
        )
        before = {m.value for m in model.members or [] if m.value}
        if patch.patch(model):
            after = {m.value for m in model.members or [] if m.value}
            scim_flow.replace_group(
                session,
                actor,
                group,
                _group_fields(model),
                add=[_uuid(v) for v in after - before],
                remove=[_uuid(v) for v in before - after],
            )
        out = _group_model(session, group, base)
        return _answer(_dump(out, Context.RESOURCE_PATCH_RESPONSE, _params(request.query_params)))

    @scim.delete("/Groups/{group_id}", status_code=204)
    def delete_group(group_id: str, session: SessionDep, actor: Actor = ActorDep) -> Response:
        scim_flow.delete_group(session, actor, _group_or_404(session, actor, group_id))
        return Response(status_code=204)


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ScimError(400, f"No such user: {value}.", "invalidValue") from None


def _group_fields(model: Any) -> scim_flow.GroupFields:
    return scim_flow.GroupFields(
        display_name=model.display_name or "",
        external_id=model.external_id,
        member_ids=[_uuid(m.value) for m in model.members or [] if m.value],
        displays={_uuid(m.value): m.display for m in model.members or [] if m.value and m.display},
    )


def _group_model(session: Session, group: ScimGroup, base: str) -> Any:
    members = scim_flow.members_of_group(session, group)
    return Group(
        id=str(group.id),
        display_name=group.display_name,
        external_id=group.external_id,
        members=[
            GroupMember(
                # ``display`` is the server's (read-only, RFC 7643 §4.2): the person's name
                value=str(u.id),
                display=u.display_name or display or u.user_name,
                ref=f"{base}/Users/{u.id}",
                type="User",
            )
            for u, display in members
        ]
        or None,
        meta=Meta(
            resource_type="Group",
            created=group.created_at,
            last_modified=group.updated_at,
            location=f"{base}/Groups/{group.id}",
        ),
    )


def _config(base: str) -> ServiceProviderConfig:
    return ServiceProviderConfig(
        documentation_uri=None,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="Bearer token",
                description=(
                    "A portal's SCIM token: Settings → SCIM, or POST /api/v1/portals/{portal}/scim-tokens."
                ),
                primary=True,
            )
        ],
        meta=Meta(resource_type="ServiceProviderConfig", location=f"{base}/ServiceProviderConfig"),
    )


def _schemas(base: str) -> list[Any]:
    out = []
    for model in (User, EnterpriseUser, Group):
        schema = model.to_schema()
        schema.meta = Meta(resource_type="Schema", location=f"{base}/Schemas/{schema.id}")
        out.append(schema)
    return out


def _resource_types(base: str) -> list[ResourceType]:
    out = []
    for model, endpoint in ((UserModel, "/Users"), (Group, "/Groups")):
        rt = ResourceType.from_resource(model)
        rt.endpoint = endpoint  # type: ignore[assignment]  # a relative URI, as RFC 7643 §6 shows
        rt.meta = Meta(resource_type="ResourceType", location=f"{base}/ResourceTypes/{rt.id or rt.name}")
        out.append(rt)
    return out
