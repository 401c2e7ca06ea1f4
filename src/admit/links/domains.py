"""Which email domains an invite link accepts (the matching rule itself is
``members.addresses.domain_allowed``, shared with HR sync), and what a refusal says."""

from __future__ import annotations

from admit.errors import DomainNotAllowed, InvalidInput
from admit.members.addresses import domain_allowed, normalize_domains

__all__ = ["display_domain", "domain_allowed", "domain_refused", "domains_told", "normalize_domains"]


def domains_told(allowed: list[str], own: set[str]) -> list[str]:
    """The allowed domains a link's page names to whoever holds it, up front ("Use your @acme.com
    address."): all of them when each is the portal's own (``own``: its internal users' addresses
    are at it), which tells nothing the portal's name does not; none when one is another's (a
    partner's domain, say: ``domain_refused``'s reason), so that nobody learns whose addresses
    it was made for."""
    if not allowed or any(d not in own for d in allowed):
        return []
    return [display_domain(d) for d in allowed]


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
