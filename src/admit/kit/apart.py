"""A request body whose inputs are parsed apart, so that a fault of type is said with the rest.

A settings body (``PortalUpdate``) checks only types; the service it goes to checks the values,
every fault at once. Parsed as a whole, one input of the wrong type (``"abc"`` for a number)
refused the body before the service saw it: its own faults (a lifetime out of range) went
unsaid. ``PartedModel`` parses what it can: an input that cannot be parsed is left out and its
fault kept (``unparsed``, pydantic's own error, for the face to say in its words), so that the
face hands it to the service, which says it with its own and changes nothing.

A fault that leaving inputs out cannot mend (a required input missing, the body not an object)
refuses the body as before.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import ModelWrapValidatorHandler, PrivateAttr, ValidationError, model_validator

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
            except ValidationError:
                raise exc from None
            model._unparsed = [dict(err) for err in errors]
            return model

    def unparsed(self) -> list[dict[str, Any]]:
        """The inputs left out as they could not be parsed: pydantic's errors (``loc``,
        ``type``, ``msg``, ``ctx``, ``input``); empty: every input was parsed."""
        return list(self._unparsed)
