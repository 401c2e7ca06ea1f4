"""A request body whose inputs are parsed apart, so that a fault of type is said with the rest.

A settings body (``PortalUpdate``) checks only types; the service it goes to checks the values,
every fault at once. Parsed as a whole, one input of the wrong type (``"abc"`` for a number)
refused the body before the service saw it: its own faults (a lifetime out of range) went
unsaid. ``PartedModel`` parses what it can: an input that cannot be parsed is left out and its
fault kept (``unparsed``, pydantic's own error, for the face to say in its words), so that the
face hands it to the service, which says it with its own and changes nothing.

A required input that cannot be parsed is left out too: the model is made with it None (its
fault kept), so that the service still checks the other inputs (``{"user_type": "robot",
"products": ["nope"]}`` says both); the service must take None there as an input already at
fault (``errors.Checks.extend`` says the caller's words for it, not its own). A fault that
leaving inputs out cannot mend (a required input missing, the body not an object) refuses the
body as before.
"""

from __future__ import annotations

import functools
import typing
from typing import Any, Self

from pydantic import ModelWrapValidatorHandler, PrivateAttr, ValidationError, create_model, model_validator

from admit.kit.json_body import JsonBody

__all__ = ["PartedModel"]


def _without(data: dict[str, Any], loc: tuple[int | str, ...]) -> dict[str, Any]:
    """``data`` without the input at ``loc``: the deepest object key on its path (a list's item
    takes its whole list)."""
    head, rest = loc[0], loc[1:]
    out = dict(data)
    inner = data.get(head) if isinstance(head, str) else None
    if rest and isinstance(inner, dict) and isinstance(rest[0], str) and rest[0] in inner:
        out[head] = _without(inner, rest)  # type: ignore[index]
    else:
        out.pop(head, None)  # type: ignore[arg-type]
    return out


@functools.cache
def _lacking(model: type[PartedModel], names: frozenset[str]) -> type[PartedModel]:
    """``model`` with its inputs ``names`` optional (None when left out): its other inputs are
    parsed by it, every validator of ``model`` too."""
    optional: dict[str, Any] = {}
    for name in names:
        kind: Any = model.model_fields[name].annotation
        optional[name] = (kind | None, None)
    return create_model(model.__name__, __base__=model, **optional)


class PartedModel(JsonBody):
    """A body parsed apart: see the module. ``unparsed()`` lists the inputs left out, each as
    pydantic's error; a face that takes one must say them (with what the service finds). A JSON
    body (``kit.json_body``): a number or boolean sent as text is one of those faults."""

    _unparsed: list[dict[str, Any]] = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _apart(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        try:
            return handler(data)
        except ValidationError as exc:
            errors = exc.errors()
            kept = data if isinstance(data, dict) else None
            for err in errors:
                if kept is None or not err["loc"] or not isinstance(err["loc"][0], str):
                    raise
                before, kept = kept, _without(kept, err["loc"])
                if kept == before:
                    raise  # left out already (missing): nothing to leave out
            try:
                model = handler(kept)
            except ValidationError as again:
                assert kept is not None  # an object: left out of it above
                model = cls._without_required(kept, again, exc)
            model._unparsed = [dict(err) for err in errors]
            return model

    @classmethod
    def _without_required(cls, kept: dict[str, Any], again: ValidationError, exc: ValidationError) -> Self:
        """The model of ``kept`` when all that is wrong with it is that a required input left
        out (one that could not be parsed) is missing: made with that input None. Else ``exc``
        (a required input not sent at all, say) refuses the body."""
        left_out = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
        names = {err["loc"][0] for err in again.errors() if err["type"] == "missing" and len(err["loc"]) == 1}
        if len(names) != len(again.errors()) or not names <= left_out:
            raise exc from None
        try:
            parsed = _lacking(cls, frozenset(str(n) for n in names)).model_validate(kept)
        except ValidationError:
            raise exc from None
        made = cls.model_construct(_fields_set=parsed.model_fields_set, **dict(parsed))
        return typing.cast(Self, made)

    def unparsed(self) -> list[dict[str, Any]]:
        """The inputs left out as they could not be parsed: pydantic's errors (``loc``,
        ``type``, ``msg``, ``ctx``, ``input``); empty: every input was parsed."""
        return list(self._unparsed)
