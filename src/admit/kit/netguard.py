"""Where Admit may send a request on someone's say-so (a webhook URL): never to this machine,
a private network, link-local addresses (cloud metadata at 169.254.169.254) or other non-public
addresses, unless the operator allows it (``ADMIT_WEBHOOKS_ALLOW_PRIVATE``).

The name is resolved and every address it resolves to is checked; the request then goes to the
address that was checked (``Target``), with the name as ``Host`` and TLS server name, so a name
that resolves to a public address at check time and a private one a moment later (DNS
rebinding) reaches nothing it should not.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

__all__ = ["Private", "Refused", "Target", "Unresolved", "accepted", "check_url", "resolve"]


class Refused(ValueError):
    """The URL may not be called; the message says why, in words for the person who gave it."""


class Private(Refused):
    """The host is a private, loopback or link-local address, and those are not allowed: the
    caller may name the setting that allows them."""


class Unresolved(Refused):
    """The host name could not be resolved now: perhaps a passing DNS failure, worth a retry."""


@dataclass(frozen=True, slots=True)
class Target:
    url: str  # the URL with the checked address in place of the name
    host_header: str  # the name (and port) as given
    server_name: str  # the TLS server name (https)


def check_url(url: str, *, require_https: bool) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a well-formed http(s) URL with no credentials in it."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise Refused("This is not a valid URL.") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("The URL must start with https:// (or http://) and name a host.")
    if require_https and parts.scheme != "https":
        raise Refused("The URL must use https:// in production.")
    if parts.username or parts.password:
        raise Refused("The URL must not carry a user name or password.")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def accepted(*, allow_private: bool, require_https: bool) -> str:
    """What ``resolve`` accepts with these arguments, in words for a form's hint."""
    schemes = "https://" if require_https else "https:// or http://"
    if allow_private:
        return f"An {schemes} address. Private, loopback and link-local addresses are allowed on this server."
    if require_https:
        return "A public https:// address. Private, loopback and link-local addresses are refused."
    return f"A public address ({schemes}). Private, loopback and link-local addresses are refused."


def resolve(url: str, *, allow_private: bool, require_https: bool = False) -> Target:
    """Check ``url`` and resolve its host; raise ``Refused`` when it may not be called."""
    scheme, host, port = check_url(url, require_https=require_https)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unresolved(f"The host {host} could not be found.") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise Unresolved(f"The host {host} could not be found.")
    if not allow_private:
        private = [a for a in addresses if not _public(a)]
        if private:
            raise Private(
                f"The host {host} is a private, loopback or link-local address ({private[0]}); "
                "Admit only calls public addresses."
            )
    address = addresses[0]
    parts = urlsplit(url.strip())
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host_header = parts.netloc.rsplit("@", 1)[-1]
    return Target(
        url=urlunsplit((scheme, netloc, parts.path or "/", parts.query, "")),
        host_header=host_header,
        server_name=host,
    )
