"""Every action the code records reads in words (``audit.words.PHRASES``): the Audit Log showed
``scim_token.created`` as "· scim token: created · a1a656cd". No database."""

from __future__ import annotations

import ast
import pathlib
import re
from types import SimpleNamespace

from admit.audit.words import PHRASES, category_of, sentence

SRC = pathlib.Path(__file__).resolve().parents[2] / "src" / "admit"
RECORDERS = {"record", "record_account", "record_many"}  # audit.service's
ACTION = re.compile(r"^[a-z_]+\.[a-z_]+$")


def _recorded() -> tuple[dict[str, str], dict[str, str]]:
    """The actions the code records: each one written out (an action to where), and each one
    built (a pattern, f"{kind}.created" read as ``[a-z_]+\\.created``, to where)."""
    written: dict[str, str] = {}
    built: dict[str, str] = {}
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called not in RECORDERS or len(node.args) < 3:
                continue
            action = node.args[2]
            where = f"{path.relative_to(SRC)}:{node.lineno}"
            # A choice of two ("contact.added" if is_new else "contact.used"): both.
            for one in (action.body, action.orelse) if isinstance(action, ast.IfExp) else (action,):
                if isinstance(one, ast.Constant) and isinstance(one.value, str) and ACTION.match(one.value):
                    written[one.value] = where
                elif isinstance(one, ast.JoinedStr):
                    parts = [
                        re.escape(p.value) if isinstance(p, ast.Constant) else "[a-z_]+" for p in one.values
                    ]
                    built["".join(parts)] = where
    return written, built


def test_every_action_recorded_has_words():
    """Each action written out at a call of ``audit.service.record`` (and ``record_account``,
    ``record_many``) has its phrase, and each one built there (``f"{kind}.created"``) matches
    at least one. (An action passed in a variable is checked where it is written out, if there.)"""
    written, built = _recorded()
    assert len(written) > 30 and built, (written, built)  # the walk found the recorders
    without = {action: where for action, where in written.items() if action not in PHRASES}
    assert not without, f"actions with no words in audit/words.py PHRASES: {without}"
    unmatched = {p: w for p, w in built.items() if not any(re.fullmatch(p, a) for a in PHRASES)}
    assert not unmatched, f"built actions no phrase matches: {unmatched}"


def test_every_action_recorded_has_a_category():
    """Each action recorded (written out, or built: every phrase it matches) is filed under one
    of the Audit Log's categories (``words.CATEGORIES``), so its filter can find it: the
    operator tester's ``address.suppressed`` (a bounce) was under none, shown only unfiltered."""
    written, built = _recorded()
    actions = dict(written)
    for pattern, where in built.items():
        actions.update({a: where for a in PHRASES if re.fullmatch(pattern, a)})
    without = {action: where for action, where in actions.items() if not category_of(action)}
    assert not without, f"actions under no category of audit/words.py CATEGORIES: {without}"
    assert not [a for a in PHRASES if not category_of(a)]  # nor any action the log has words for


def test_a_scim_token_reads_in_words():
    event = SimpleNamespace(
        action="scim_token.created", actor_label="owner@acme.com", target_label="a1a656cd", detail={}
    )
    assert sentence(event, "Olive Owner") == "Olive Owner created the SCIM token a1a656cd"
