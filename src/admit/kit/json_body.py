"""A request body that takes JSON's types as they are: a number as a number, a boolean as a boolean.

pydantic, validating what FastAPI parsed from a body, reads ``"30"`` as 30 and ``"true"`` as
True (its lax mode, made for forms and query strings, whose values are all text), while ``1.5``
and ``"maybe"`` are refused: a client sending a string where the document says a number had it
taken, sometimes. ``JsonBody`` refuses text (and a boolean) where a number is declared, and
anything but ``true``/``false`` where a boolean is, as the faults of type pydantic names
(``int_type``, ``float_type``, ``bool_type``; the faces word them). Whole-model ``strict`` would
refuse an id or a day written as text too, which JSON can only send as text.

Only for bodies sent as JSON: a form's fields are text (the pages parse theirs apart). A body
that is no model (a mapping of flags) says its values with ``Flag``.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel, Strict, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

__all__ = ["Flag", "JsonBody", "scalar_of"]

# A boolean of a body that is no model (``dict[str, Flag]``): ``true`` or ``false`` only, as a
# ``JsonBody``'s (pydantic's strict bool: the fault is ``bool_type`` too).
Flag = Annotated[bool, Strict()]

_SAID = {
    bool: ("bool_type", "Input should be a valid boolean"),
    int: ("int_type", "Input should be a valid integer"),
    float: ("float_type", "Input should be a valid number"),
}


def scalar_of(annotation: Any) -> type | None:
    """``bool``, ``int`` or ``float`` when ``annotation`` is one (or one or None); else None."""
    if annotation in _SAID:
        return typing.cast(type, annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        kinds = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(kinds) == 1 and kinds[0] in _SAID:
            return typing.cast(type, kinds[0])
    return None


def _refused(kind: type, value: Any) -> bool:
    if kind is bool:
        return not isinstance(value, bool)
    return isinstance(value, (str, bool))  # a float for an int: pydantic says whether it is whole


class JsonBody(BaseModel):
    """A request body of JSON's own types (see the module)."""

    @field_validator("*", mode="before")
    @classmethod
    def _json_typed(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or info.field_name is None:
            return value
        kind = scalar_of(cls.model_fields[info.field_name].annotation)
        if kind is not None and _refused(kind, value):
            code, message = _SAID[kind]
            raise PydanticCustomError(code, message)
        return value
