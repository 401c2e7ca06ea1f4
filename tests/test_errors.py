"""The error vocabulary is closed: every code the service answers is an ``ErrorCode`` with one
class, and nothing else can be raised."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import admit
from admit import errors
from admit.errors import CLASSES, Busy, DomainError, ErrorCode, Gone, HrSystemFailed, InternalError, NotFound

SRC = Path(admit.__file__).parent
TEMPLATES = SRC / "pages" / "templates"


def _codes_in_source(source: str, where: str) -> list[tuple[str, str]]:
    """``(where, code)`` for every string literal given as an error code: ``code="..."`` passed
    to a call, or ``code = "..."`` set in a class body."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            for kw in node.keywords:
                value = kw.value.value if isinstance(kw.value, ast.Constant) else None
                if kw.arg == "code" and isinstance(value, str):
                    found.append((f"{where}:{node.lineno} {name}()", value))
        elif isinstance(node, ast.ClassDef):
            for stmt in node.body:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else []
                if any(getattr(t, "id", None) == "code" for t in targets) and isinstance(
                    stmt.value, ast.Constant
                ):
                    found.append((f"{where}:{stmt.lineno} {node.name}", stmt.value.value))
    return found


def _codes_in_python() -> list[tuple[str, str]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        found += _codes_in_source(path.read_text(), str(path.relative_to(SRC)))
    return found


def _codes_in_templates() -> list[tuple[str, str]]:
    """Codes the templates compare an error's ``code`` with (``code in (...)``, ``code == ...``)."""
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            for match in re.finditer(r"\bcode\s*(?:==|!=|in|not in)\s*(\([^)]*\)|\"\w+\"|'\w+')", line):
                for code in re.findall(r"[\"'](\w+)[\"']", match.group(1)):
                    found.append((f"{path.relative_to(SRC)}:{lineno}", code))
    return found


class TestVocabulary:
    def test_every_code_has_one_class(self):
        """Each ErrorCode is the code of exactly one class, whose docstring says what it means."""
        assert set(CLASSES) == set(ErrorCode)
        for code, cls in CLASSES.items():
            assert cls.code is code
            assert issubclass(cls, DomainError)
            assert cls.__dict__.get("__doc__"), f"{cls.__name__} has no docstring (its meaning)"
            # Client errors; one server state a client can wait out (503 busy, Retry-After); the
            # one upstream whose failure is named to the client (502: the portal's HR system);
            # and a fault of Admit's own (500 internal_error, tests/test_server_errors.py).
            assert (400 <= cls.status < 500 or cls in (Busy, HrSystemFailed, InternalError)) and cls.title

    def test_every_code_used_in_src_is_registered(self):
        """Every code literal in the source and the templates is an ErrorCode."""
        used = _codes_in_python() + _codes_in_templates()
        unknown = [(where, code) for where, code in used if code not in set(ErrorCode)]
        assert not unknown, f"codes that are not ErrorCode members: {unknown}"

    def test_a_value_none_of_its_choices_is_refused_in_one_wording(self):
        """ "X must be one of a, b." is said by ``InvalidInput.not_one_of`` alone (it was written by
        hand in ten services), naming the field, or the input as the caller's face calls it."""
        refusal = errors.InvalidInput.not_one_of("status", ("pending", "accepted"))
        assert (refusal.message, refusal.field) == ("status must be one of pending, accepted.", "status")
        named = errors.InvalidInput.not_one_of("category", ("a", "b"), named="--category")
        assert (named.message, named.field) == ("--category must be one of a, b.", "category")
        by_hand = [
            f"{path.relative_to(SRC)}:{lineno}"
            for path in sorted(SRC.rglob("*.py"))
            for lineno, line in enumerate(path.read_text().splitlines(), 1)
            if "must be one of {" in line and path.name != "errors.py"
        ]
        assert not by_hand, f"the wording written again by hand: {by_hand}"

    def test_the_errors_page_says_what_a_caller_can_act_on_not_our_code(self):
        """Each code's meaning (its class's docstring) is what /errors shows integrators: no
        name of Admit's own code in it (a tester read "``of_role=False``" and
        "``api.errors.said_to``" there), only fields, headers and settings they can use."""
        import inspect

        internal = re.compile(
            r"``[^`]*(?:\b[a-z_]+\.[a-z_]+\.[a-z_]+|\b(?:kit|api|members|pages)\.[a-z_]+|=)[^`]*``"
        )
        leaked = {
            code.value: internal.findall(inspect.getdoc(cls) or "")
            for code, cls in CLASSES.items()
            if internal.search(inspect.getdoc(cls) or "")
        }
        assert not leaked, leaked

    def test_the_scan_sees_literal_codes(self):
        """The scan above finds a code passed to a call and one set on a class."""
        source = 'raise NotFound("x", code="made_up")\nclass E(Gone):\n    code = "other"\n'
        assert sorted(c for _w, c in _codes_in_source(source, "t.py")) == ["made_up", "other"]
        assert ("pages/templates/error.html:8", "invitation_gone") in _codes_in_templates()

    def test_raise_sites_raise_the_class(self):
        """No raise site passes a code to an error class: it raises the class of that meaning."""
        passed = [(w, c) for w, c in _codes_in_python() if "()" in w and w.split()[-1][:-2] in _class_names()]
        assert not passed, f"raise the class of the meaning instead: {passed}"

    def test_unknown_code_is_refused(self):
        """Raising with a code outside the vocabulary fails at once, not in the response."""
        with pytest.raises(ValueError, match="not an ErrorCode"):
            NotFound("No such thing.", code="no_such_thing")
        with pytest.raises(ValueError, match="not an ErrorCode"):
            DomainError("Something.", code="made_up")

    def test_registered_code_is_accepted(self):
        """A registered code (enum member or its string) is taken as that ErrorCode."""
        exc = DomainError("Not Found", code="not_found")
        assert exc.code is ErrorCode.NOT_FOUND and exc.message == "Not Found"

    def test_class_with_an_unknown_or_taken_code_is_refused(self):
        """A new class must name an ErrorCode of its own: a bare string, none, or one already
        taken is refused when the class is defined."""
        with pytest.raises(TypeError, match="must be an ErrorCode"):
            type("LinkMissing", (Gone,), {"code": "link_missing"})
        with pytest.raises(TypeError, match="names no code"):
            type("LinkMissing", (Gone,), {})
        with pytest.raises(TypeError, match="already means LinkGone"):
            type("LinkMissing", (Gone,), {"code": ErrorCode.LINK_GONE})
        assert CLASSES[ErrorCode.LINK_GONE] is errors.LinkGone

    def test_subclasses_keep_their_family(self):
        """Specific errors are caught as their family (``except Gone``) and answer its status and
        title, so bodies are what they were."""
        exc = errors.InvitationGone("This invitation link can no longer be used.")
        assert isinstance(exc, Gone)
        assert (exc.status, exc.title, exc.code) == (410, "No longer valid", "invitation_gone")
        assert isinstance(errors.WrongAccount("x"), errors.SignInRequired)

    def test_docstring_maps_the_vocabulary(self):
        """The module docstring has one row per code: code, class, status."""
        rows = {
            m.group(1): (m.group(2), int(m.group(3)))
            for m in re.finditer(r"^\| (\w+)\s+\| (\w+)\s+\| (\d{3})\s+\|", errors.__doc__, re.M)
        }
        assert rows == {code: (cls.__name__, cls.status) for code, cls in CLASSES.items()}


def _class_names() -> set[str]:
    return {cls.__name__ for cls in CLASSES.values()}
