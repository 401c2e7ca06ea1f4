"""Which email domains an invite link accepts: exact matches of the normalised (IDNA, lowercase)
domain; subdomains only when listed; no list means any domain."""

from __future__ import annotations

from admit.errors import DomainNotAllowed, InvalidInput
from admit.members.addresses import normalize_email

__all__ = ["display_domain", "domain_allowed", "domain_refused", "normalize_domain"]


def normalize_domain(raw: str) -> str:
    """``ACME.com`` → ``acme.com``; ``Bücher.de`` → ``xn--bcher-kva.de``; refuses wildcards."""
    value = (raw or "").strip().lstrip("@").strip().lower()
    if not value:
        raise InvalidInput("A domain is empty.", field="allowed_domains")
    if "*" in value or "@" in value or " " in value:
        raise InvalidInput(
            f"{raw!r} is not a domain. List each domain exactly (acme.com); subdomains are "
            "only allowed when listed (eu.acme.com).",
            field="allowed_domains",
        )
    address, error = normalize_email(f"a@{value}")
    if address is None:
        raise InvalidInput(f"{raw!r} is not a valid email domain: {error}", field="allowed_domains")
    return address.rpartition("@")[2]


def domain_allowed(email: str, allowed: list[str] | None) -> bool:
    """Exact match of the normalised (IDNA, lowercase) domain; no list means any domain."""
    if not allowed:
        return True
    return email.rpartition("@")[2] in set(allowed)


def domain_refused(address: str) -> InvalidInput:
    """The error for ``address`` outside a link's allowed domains (field ``email``). It names the
    domain that was typed, never the allowed ones: a link found by a stranger must not tell whose
    addresses (a partner's domain, say) it was made for."""
    typed = display_domain(address.rpartition("@")[2])
    return DomainNotAllowed(
        f"This invite link does not accept addresses at {typed}. Use the work address it was shared"
        " for, or ask the person who shared it.",
        field="email",
    )


def display_domain(domain: str) -> str:
    """``xn--bcher-kva.de`` → ``bücher.de``, for people to read (matching uses the ASCII form)."""
    try:
        return domain.encode("ascii").decode("idna")
    except UnicodeError:
        return domain
