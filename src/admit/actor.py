"""Who is acting: a signed-in member, an API key, the system (CLI/worker), or nobody."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from admit.policy import Role

if TYPE_CHECKING:  # the actor carries rows of these domains; it never queries them
    from admit.auth.models import ApiKey
    from admit.members.models import Member, User
    from admit.portals.models import Portal


# How events label an API key that acted (``Actor.label``, also the webhooks' ``actor.label``),
# and how sentences and the audit log name a key: the one place of both.
_KEY_LABEL = re.compile(r"^api key (\S+) \((.*)\)$")


def key_words(name: str, prefix: str) -> str:
    """An API key as words name it: its name, then its prefix ("“Zapier sync” (a22527ab)")."""
    return f"“{name}” ({prefix})"


def key_of_label(label: str) -> tuple[str, str] | None:
    """``(name, prefix)`` of an API key's actor label; None for any other label."""
    found = _KEY_LABEL.match(label)
    return (found.group(2), found.group(1)) if found else None


# How events label a SCIM token that acted, and how messages, pages and sentences name it
# ("SCIM (Okta)"): the one place of both.
_SCIM_LABEL = re.compile(r"^scim token (\S+) \((.*)\)$")


def scim_label(name: str, prefix: str) -> str:
    """A SCIM token's actor label (``Actor.label``): ``scim token 1a2b3c4d (Okta)``."""
    return f"scim token {prefix} ({name})"


def scim_words(name: str) -> str:
    """A SCIM token as words name it: its connection, "SCIM (Okta)" ("SCIM" when unnamed)."""
    return f"SCIM ({name})" if name else "SCIM"


def hr_words(system: str, host: str) -> str:
    """An HR connection as words name it, mid-sentence: its system ("BambooHR"), or for a list
    at a URL, where it is ("the HR list at 127.0.0.1:8851"; "the HR list" with no host). The one
    place of it: ``directory.hr.service.name_of`` reads a connection's parts into it."""
    if system:
        return system
    return f"the HR list at {host}" if host else "the HR list"


# How events label the server's console when what it did is not the owner it acts as's doing
# (``flows.members.reset_second_factor``), and how messages name it.
CONSOLE_LABEL = "the console (admit CLI)"
CONSOLE_WORDS = "Someone at the server's console"
# What an event done at the console keeps as its ip (``audit.words.address`` reads it)
CONSOLE_IP = "cli"


def scim_of_label(label: str) -> str | None:
    """How words name the SCIM token of an actor label; None for any other label."""
    found = _SCIM_LABEL.match(label)
    return scim_words(found.group(2)) if found else None


@dataclass(frozen=True)
class Actor:
    portal: Portal
    role: Role | None
    user: User | None = None
    member: Member | None = None
    api_key: ApiKey | None = None
    ip: str | None = None
    # How the audit log names this actor when its parts do not say it (a background job acting
    # for whoever started it: "api key 1a2b (default)").
    shown_as: str | None = None
    # How messages and pages name it when no person acts (a directory: "SCIM (Okta)"), where
    # they would otherwise name the portal.
    named_as: str | None = None
    # An operator at the server's console (the CLI): it acts as the portal's first owner, and
    # may do what that owner could only do with a code (``policy.check_reset_second_factor``).
    console: bool = False

    @property
    def label(self) -> str:
        if self.shown_as is not None:
            return self.shown_as
        if self.user is not None and self.api_key is None:
            return self.user.address or self.user.label
        if self.api_key is not None:
            return f"api key {self.api_key.prefix} ({self.api_key.name})"  # read by key_of_label
        return "system"

    @property
    def inviter_label(self) -> str | None:
        """What an invitation (or a quiet add) it makes says invited them when no person did:
        ``named_as`` ("SCIM (Okta)", "BambooHR"); None when a person acts (theirs is the name)."""
        return self.named_as if self.user_id is None else None

    @property
    def display_name(self) -> str:
        """How messages name whoever acts ("Olive Owner invited you"): the person, the maker of
        the API key, or the portal itself for the system."""
        if self.user is not None:
            return self.user.label
        if self.api_key is not None and self.api_key.created_by is not None:
            return self.api_key.created_by.label
        return self.named_as or self.portal.name

    @property
    def user_id(self) -> uuid.UUID | None:
        """The user the action is attributed to (an API key acts for whoever created it)."""
        if self.user is not None:
            return self.user.id
        if self.api_key is not None:
            return self.api_key.created_by_id
        return None

    @property
    def caller_id(self) -> uuid.UUID | None:
        """Who makes the call, for what is the caller's alone (an ``Idempotency-Key``): the API
        key when one is used (two integrations of one person are two callers), else the user."""
        if self.api_key is not None:
            return self.api_key.id
        return self.user.id if self.user is not None else None
