"""Jinja templates that write out escaped text without wrapping each value as ``Markup``.

In an autoescaping template Jinja writes every ``{{ value }}`` as ``escape(value)``, and
markupsafe's ``escape`` returns a new ``Markup`` object (a ``str`` subclass made in Python) for
each. Jinja only ever joins those pieces into the page (or into a block's text, which it then
marks safe itself), so the wrapping buys nothing there. User Management's page writes ~1,000
values: the wrapping was ~0.4 ms of its ~6 ms (bench/pages.py, an in-process A/B).

``OutputTemplate`` gives a template's compiled code ``escaped_text`` in ``escape``'s place: the
same characters escaped the same way, as plain text. Filters, macros and ``|e`` are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

import markupsafe
from jinja2 import Environment, Template

# markupsafe's C escaper (what its own ``escape`` calls). Where a version does not expose it,
# ``escape`` itself: the same text, only slower.
_escape_inner: Callable[[str], str] = getattr(markupsafe, "_escape_inner", markupsafe.escape)


def escaped_text(value: Any, /) -> Any:
    """``markupsafe.escape(value)``'s text: a value with ``__html__`` is written as it says, any
    other as its ``str`` with ``& < > ' "`` escaped."""
    if type(value) is str:
        return _escape_inner(value)
    html = getattr(value, "__html__", None)
    if html is not None:
        return html()
    return _escape_inner(str(value))


class OutputTemplate(Template):
    """A template whose compiled code writes values out with ``escaped_text``."""

    @classmethod
    def from_code(
        cls,
        environment: Environment,
        code: Any,
        globals: MutableMapping[str, Any],  # noqa: A002 - Jinja's own name for it
        uptodate: Callable[[], bool] | None = None,
    ) -> Template:
        template = super().from_code(environment, code, globals, uptodate)
        # The compiled module's namespace: its ``escape`` is the one its output calls.
        template.root_render_func.__globals__["escape"] = escaped_text
        return template
