"""What a message says of the flow roles its person holds, in one place: an invitation's email
(the first send, a Resend or Reinvite, a reminder), its text message, and the invitation's page.

An invitation can bring its person into several workspaces (invited into "Design", then put in
"Tax 2026" on the invitation that stands), each with its own roles. ``said`` names every
workspace's roles: "You will hold the role “Reviewer” there." when they are all in the workspace
the message names (``here``), else "You will hold the roles “Reviewer” in “Design” and “Approver”
in “Tax 2026”."; past ``MAX_NAMED`` roles it counts the rest ("You will hold 9 roles: …, and 3
more in 3 other workspaces."). A text message names the roles alone, briefly (``brief``): "Roles:
Reviewer, Approver +2 more.", the names within ``BRIEF_CHARACTERS`` characters.

The places travel in a message's context as ``flow_roles``: ``[[workspace name, [role, …]], …]``
(``places``). A message queued before they did holds the roles of its one workspace, ``[role, …]``:
read as the roles of ``here``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from admit.kit.text import and_list

__all__ = ["BRIEF_CHARACTERS", "MAX_NAMED", "Held", "context", "said"]

MAX_NAMED = 6  # roles an email names; the rest are counted
BRIEF_CHARACTERS = 24  # a text message's role names (with "+2 more"), as its names are cut to 40


@dataclass(frozen=True, slots=True)
class Held:
    """The roles (in order) someone holds, or will hold, in one workspace."""

    workspace: str
    roles: tuple[str, ...]


def context(held: Sequence[Held]) -> list[list[Any]]:
    """``held`` as a message's context keeps it (JSON): ``[[workspace, [role, …]], …]``, those
    without a role left out."""
    return [[h.workspace, list(h.roles)] for h in held if h.roles]


def places(flow_roles: Sequence[Any] | None, here: str | None) -> list[Held]:
    """A context's ``flow_roles`` read back (see the module: the older shape too), ``here``'s
    first."""
    found: list[Held] = []
    loose = [r for r in flow_roles or () if isinstance(r, str)]
    if loose:
        found.append(Held(here or "", tuple(loose)))
    for item in flow_roles or ():
        if not isinstance(item, str) and item[1]:
            found.append(Held(str(item[0]), tuple(str(r) for r in item[1])))
    return sorted(found, key=lambda h: h.workspace != (here or ""))  # stable: the rest keep their order


def said(
    flow_roles: Sequence[Any] | None, *, here: str | None = None, html: bool = False, brief: bool = False
) -> str:
    """The sentence naming the roles of ``flow_roles`` (see the module), "" when there are none.
    ``here``: the workspace the message names already; ``html``: the role names in bold, the
    rest escaped; ``brief``: a text message's few words."""
    text = _said(places(flow_roles, here), here or "", html=html, brief=brief)
    return Markup(text) if html else text  # noqa: S704 (every name in it escaped)


def _said(held: list[Held], here_name: str, *, html: bool, brief: bool) -> str:
    total = sum(len(h.roles) for h in held)
    if not total:
        return ""
    if brief:
        return _brief(list(dict.fromkeys(r for h in held for r in h.roles)))

    def role(name: str) -> str:
        return str(Markup("<strong>“{}”</strong>").format(name)) if html else f"“{name}”"

    def workspace(name: str) -> str:
        return f"“{escape(name) if html else name}”"

    plural = "s" if total > 1 else ""
    if len(held) == 1 and held[0].workspace == here_name:
        return f"You will hold the role{plural} {and_list([role(r) for r in held[0].roles])} there."
    parts, named, whole_left = [], 0, 0
    for h in held:
        room = MAX_NAMED - named
        if room <= 0:
            whole_left += 1
            continue
        shown = h.roles[:room]
        named += len(shown)
        parts.append(f"{and_list([role(r) for r in shown])} in {workspace(h.workspace)}")
    if named == total:
        return f"You will hold the role{plural} {and_list(parts)}."
    rest = total - named
    more = f"{rest} more"
    if whole_left and sum(len(h.roles) for h in held[-whole_left:]) == rest:
        more += " in another workspace" if whole_left == 1 else f" in {whole_left} other workspaces"
    return f"You will hold {total} roles: {', '.join(parts)}, and {more}."


def _brief(names: list[str]) -> str:
    """ "Role: Reviewer." / "Roles: Reviewer, Approver +2 more.": as many names, whole, as fit
    ``BRIEF_CHARACTERS`` with the count of the rest; the first always, cut to fit if need be."""
    shown: list[str] = []
    for name in names:
        rest = len(names) - len(shown) - 1
        suffix = f" +{rest} more" if rest else ""
        if len(", ".join([*shown, name]) + suffix) > BRIEF_CHARACTERS:
            break
        shown.append(name)
    rest = len(names) - max(len(shown), 1)
    suffix = f" +{rest} more" if rest else ""
    if not shown:
        room = BRIEF_CHARACTERS - len(suffix)
        shown = [names[0] if len(names[0]) <= room else names[0][: room - 1] + "…"]
    return f"Role{'s' if len(names) > 1 else ''}: {', '.join(shown)}{suffix}."
