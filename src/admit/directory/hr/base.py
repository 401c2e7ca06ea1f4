"""What an HR system says about the people it employs, read the same way from every system.

An adapter (``providers/<system>.py``) is a small module: it knows its system's authentication,
paging and field names, and turns each employee record into an ``Employee``. Everything after
that (what a sync would do, applying it) is the same for every system (``directory.hr.plan``,
``flows.hr_sync``). Adding the next system is one module that defines a ``Provider`` and is
listed in ``providers.PROVIDERS``.

An adapter never half-answers: it returns the whole list, or raises ``ProviderError`` (a
failing run applies nothing). The request itself goes through ``fetch.Fetcher``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from admit.directory.hr.fetch import Fetcher

__all__ = [
    "FIELDS",
    "Credentials",
    "Employee",
    "Failure",
    "Provider",
    "ProviderError",
    "parse_date",
    "text",
]

# The data an HR connection reads, in the words the admin grants (the same for every system).
FIELDS: tuple[str, ...] = (
    "Names",
    "Work email",
    "Phone",
    "Department / team",
    "Manager",
    "Employment status",
    "Start and end dates",
)


class Failure(StrEnum):
    """Why a provider gave no list: the run applies nothing and says this on the page."""

    AUTH = "auth"  # 401 / 403: the key is wrong, revoked or lacks the rights
    RATE_LIMITED = "rate_limited"  # 429 (Retry-After honoured)
    UNAVAILABLE = "unavailable"  # 5xx, timeout, connection refused
    MALFORMED = "malformed"  # an answer that is not what the documented API returns
    INCOMPLETE = "incomplete"  # a page missing halfway through the list
    REFUSED = "refused"  # the URL may not be called (private address, not https)


class ProviderError(Exception):
    """The list could not be read. ``message`` is for the admin, naming the system and what
    it answered; it never contains the key."""

    def __init__(self, failure: Failure, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.failure = failure
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Credentials:
    api_key: str
    account: str = ""  # the company subdomain / client id / service user, where the system needs one
    base_url: str = ""  # "" = the system's own; tests and self-hosted systems give another


@dataclass(frozen=True, slots=True)
class Employee:
    """One person as the HR system lists them. ``external_id`` is the system's own id: the key
    a later sync compares by (an email may change, the id does not)."""

    external_id: str
    first_name: str = ""
    last_name: str = ""
    display_name: str = ""
    work_email: str = ""
    phone: str = ""
    department: str = ""
    manager: str = ""  # the manager's work email where the system gives it, else their name or id
    active: bool = True  # False: the system says they left (terminated, inactive)
    start_date: date | None = None
    end_date: date | None = None

    @property
    def name(self) -> str:
        full = " ".join(p for p in (self.first_name.strip(), self.last_name.strip()) if p)
        return (self.display_name.strip() or full)[:200]


@dataclass(frozen=True, slots=True)
class Provider:
    """An HR system Admit can read. ``fetch`` returns every employee (all pages), or raises."""

    key: str  # "bamboohr": stored on the connection and used as the audit source "hr:<key>"
    title: str  # "BambooHR"
    default_base_url: str  # may contain "{account}"
    api_key_label: str  # what the system calls the secret ("API key", "Client secret"…)
    account_label: str  # "" when the system needs no account; else what it is called
    help: str  # one sentence: where in the system the admin finds the key
    docs_url: str
    fetch: Callable[[Fetcher, Credentials], list[Employee]]
    fields: tuple[str, ...] = FIELDS

    def base_url(self, credentials: Credentials) -> str:
        base = credentials.base_url or self.default_base_url.format(account=credentials.account)
        return base.rstrip("/")


def text(value: object) -> str:
    """A scalar field as text; a missing value, an object or a list is "" (never "None")."""
    return "" if value is None or isinstance(value, dict | list) else str(value).strip()


def parse_date(value: object) -> date | None:
    """A date as HR systems write it: ``2024-03-01``, ``2024-03-01T00:00:00+01:00``; empty,
    None and BambooHR's ``0000-00-00`` are no date. Anything else is malformed data."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or text.startswith("0000-00-00"):
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise ProviderError(Failure.MALFORMED, f"“{text[:40]}” is not a date.") from exc
