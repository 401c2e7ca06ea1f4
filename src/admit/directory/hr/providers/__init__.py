"""The HR systems Admit reads, by key. Adding one: write ``providers/<key>.py`` defining a
``PROVIDER`` (``directory.hr.base.Provider``) and list it here."""

from __future__ import annotations

from admit.directory.hr.base import Provider
from admit.directory.hr.providers import bamboohr, generic, hibob, personio

__all__ = ["PROVIDERS", "get"]

PROVIDERS: dict[str, Provider] = {
    p.key: p for p in (bamboohr.PROVIDER, personio.PROVIDER, hibob.PROVIDER, generic.PROVIDER)
}


def get(key: str) -> Provider | None:
    return PROVIDERS.get(key)
