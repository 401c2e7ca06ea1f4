"""The API's answers say the same words as the code: every status or kind a read model can
carry is the set its StrEnum owns (a set written twice drifts: ``waiting`` imports answered 500
while the import schema listed five of the six), and every user type or role is one the policy
knows."""

from __future__ import annotations

import types
import typing

import pytest

from admit import policy
from admit.contacts import schemas as contacts_schemas
from admit.imports import schemas as imports_schemas
from admit.imports.models import ImportStatus
from admit.invitations import schemas as invitations_schemas
from admit.invitations.models import InvitationStatus
from admit.invitations.pipeline import Outcome
from admit.links import schemas as links_schemas
from admit.links.models import SignupStatus
from admit.members import schemas as members_schemas
from admit.members.service import MemberStatus
from admit.people import schemas as people_schemas
from admit.teams import schemas as teams_schemas
from admit.teams.models import TeamKind
from admit.workspaces import schemas as workspaces_schemas
from admit.workspaces.models import JoinRequestStatus, WorkspaceKind, WorkspaceMemberStatus

# (read model, field, the enum that owns the set, values worked out rather than stored)
SAME_SET = [
    (invitations_schemas.InvitationRead, "status", InvitationStatus),
    (invitations_schemas.RecipientResultRead, "outcome", Outcome),
    (imports_schemas.ImportStatus, "status", ImportStatus),
    (links_schemas.LinkSignupRead, "status", SignupStatus, {"expired"}),  # pending past expires_at
    (members_schemas.MemberRead, "status", MemberStatus),
    (teams_schemas.TeamRead, "kind", TeamKind),
    (workspaces_schemas.TeamRef, "kind", TeamKind),
    (workspaces_schemas.WorkspaceRead, "kind", WorkspaceKind),
    (workspaces_schemas.WorkspaceMemberRead, "status", WorkspaceMemberStatus),
    (workspaces_schemas.JoinRequestRead, "status", JoinRequestStatus),
]
SCHEMA_MODULES = [
    contacts_schemas,
    imports_schemas,
    invitations_schemas,
    links_schemas,
    members_schemas,
    people_schemas,
    teams_schemas,
    workspaces_schemas,
]


def literal_values(annotation) -> set[str]:
    """The strings a ``Literal[...]`` (possibly ``| None``) allows."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return set().union(*(literal_values(a) for a in typing.get_args(annotation)))
    if typing.get_origin(annotation) is typing.Literal:
        return set(typing.get_args(annotation))
    return set()


@pytest.mark.parametrize("row", SAME_SET, ids=lambda row: f"{row[0].__name__}.{row[1]}")
def test_a_status_or_kind_is_its_enums_set(row):
    model, field, enum, *derived = row
    expected = {e.value for e in enum} | (derived[0] if derived else set())
    assert literal_values(model.model_fields[field].annotation) == expected


def test_user_types_and_roles_are_the_policys():
    """Any ``user_type`` or ``role`` field in a schema names only values the policy knows."""
    checked = 0
    for module in SCHEMA_MODULES:
        for model in vars(module).values():
            if not (isinstance(model, type) and hasattr(model, "model_fields")):
                continue
            for name, enum in (("user_type", policy.UserType), ("role", policy.Role)):
                if name in model.model_fields:
                    allowed = literal_values(model.model_fields[name].annotation)
                    if allowed:
                        checked += 1
                        assert allowed <= {e.value for e in enum}, (model.__name__, name, allowed)
    assert checked >= 10  # the walk found the fields it is about


def _api_bodies():
    """Every model an API operation takes as its body, and those nested in it."""
    import importlib
    import pkgutil

    from fastapi.routing import APIRoute
    from pydantic import BaseModel

    from admit import api

    def models(annotation):
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield annotation
            for field in annotation.model_fields.values():
                yield from models(field.annotation)
        for arg in typing.get_args(annotation):
            yield from models(arg)

    for info in pkgutil.iter_modules(api.__path__):
        router = getattr(importlib.import_module(f"admit.api.{info.name}"), "router", None)
        for route in getattr(router, "routes", ()):
            if isinstance(route, APIRoute) and route.body_field is not None:
                yield from models(route.body_field.field_info.annotation)


def test_every_number_or_boolean_of_an_api_body_takes_json_s_own_type():
    """A body's number or boolean refuses text (``kit.json_body``): every model with one that
    an operation takes is a ``JsonBody`` (``"30"`` had been taken for a key's lifetime)."""
    from admit.kit.json_body import JsonBody, scalar_of

    lax = sorted(
        {
            f"{model.__module__}.{model.__name__}.{name}"
            for model in _api_bodies()
            for name, field in model.model_fields.items()
            if scalar_of(field.annotation) is not None and not issubclass(model, JsonBody)
        }
    )
    assert lax == [], lax
    assert len(list(_api_bodies())) > 10
