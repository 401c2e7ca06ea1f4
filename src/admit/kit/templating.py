"""Jinja templates that write out escaped text without wrapping each value as ``Markup``.

In an autoescaping template Jinja writes every ``{{ value }}`` as ``escape(value)``, and
markupsafe's ``escape`` returns a new ``Markup`` object (a ``str`` subclass made in Python) for
each. Jinja only ever joins those pieces into the page (or into a block's text, which it then
marks safe itself), so the wrapping buys nothing there. User Management's page writes ~1,000
values: the wrapping was ~0.4 ms of its ~6 ms (bench/pages.py, an in-process A/B).

``OutputTemplate`` gives a template's compiled code ``escaped_text`` in ``escape``'s place: the
same characters escaped the same way, as plain text. Filters, macros and ``|e`` are unchanged.
``OutputCodeGenerator`` compiles a template to yield each run of text and values between two tags
as one piece, not a piece each. ``OutputContext`` calls a built-in method a template calls
(``moved_on.get(row.id)``, ``url.format(member_id=row.id)``) straight away: nothing Jinja would
pass it first (a context, an environment) can be marked on one.
"""

from __future__ import annotations

import types
from collections.abc import Callable, MutableMapping
from typing import Any

import markupsafe
from jinja2 import Environment, Template, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context

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


class OutputCodeGenerator(CodeGenerator):
    """Jinja's code generator, each run of text and values between two tags yielded as one piece
    (``yield ''.join((…))``) where Jinja yields a piece for each.

    A page's pieces pass up through every template it extends (a generator each, ``yield from``):
    User Management's ~4,900 pieces went through three, ~0.1 µs a piece at each. A template's
    text is the same, each value escaped and written as before, in the same order."""

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        if frame.buffer is not None or frame.require_output_check:
            super().visit_Output(node, frame)  # into a buffer (a macro, a call, a set block)
            return
        finalize = self._make_finalize()
        body: list[list[Any] | nodes.Expr] = []
        for child in node.nodes:  # text and constants joined now, as Jinja does
            try:
                if not (finalize.const or isinstance(child, nodes.TemplateData)):
                    raise nodes.Impossible()
                const = self._output_child_to_const(child, frame, finalize)
            except (nodes.Impossible, Exception):
                body.append(child)
                continue
            if body and isinstance(body[-1], list):
                body[-1].append(const)
            else:
                body.append([const])
        if len(body) < 2:
            super().visit_Output(node, frame)
            return
        self.writeline("yield ''.join((")
        self.indent()
        for item in body:
            if isinstance(item, list):
                self.writeline(self._output_const_repr(item) + ",")
            else:
                self.newline(item)
                self._output_child_pre(item, frame, finalize)
                self.visit(item, frame)
                self._output_child_post(item, frame, finalize)
                self.write(",")
        self.outdent()
        self.writeline("))")


class OutputContext(Context):
    """A template's context whose ``call`` of a built-in function or method (``dict.get``,
    ``str.format``: no ``pass_context`` or ``pass_environment`` mark can be set on one) is made
    at once, with what the template gave it, where Jinja's looks for those marks first (a few
    times the call's own cost: User Management's rows make ~250 such calls)."""

    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's names
        if type(__obj) is not types.BuiltinMethodType:
            return super().call(__obj, *args, **kwargs)
        kwargs.pop("_block_vars", None)
        kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:  # as Jinja says it
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


def write_out(env: Environment) -> Environment:
    """``env`` with its templates written out as this module says (``OutputTemplate``,
    ``OutputCodeGenerator``, ``OutputContext``): the pages' and the emails' (before a template
    is loaded: one compiled already keeps Jinja's code)."""
    env.template_class = OutputTemplate
    env.code_generator_class = OutputCodeGenerator
    env.context_class = OutputContext
    return env
