"""Secrets Admit must use again later, sealed at rest: a webhook's signing secret, an
authenticator app's secret, an HR system's key (the README's ``ADMIT_ENCRYPTION_KEY`` row names
each, and what to do after the key changes; ``tests/test_sealed_secrets.py`` keeps it so).

Sealed with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under a key from the
environment: ``ADMIT_ENCRYPTION_KEY`` (a Fernet key: 32 random bytes, url-safe base64), or, when it is
not set, one derived from ``ADMIT_SECRET_KEY`` with HKDF. Changing
the key that sealed a secret makes it unreadable (``SealBroken``): each caller says what to do.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["SealBroken", "open_sealed", "seal"]


class SealBroken(Exception):
    """The sealed value was made under another key, or altered."""


@lru_cache(maxsize=8)
def _fernet(secret_key: str, encryption_key: str | None) -> Fernet:
    if encryption_key:
        return Fernet(encryption_key.encode())
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"admit secretbox v1").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(plain: str, *, secret_key: str, encryption_key: str | None = None) -> str:
    return _fernet(secret_key, encryption_key).encrypt(plain.encode()).decode()


def open_sealed(sealed: str, *, secret_key: str, encryption_key: str | None = None) -> str:
    try:
        return _fernet(secret_key, encryption_key).decrypt(sealed.encode()).decode()
    except InvalidToken as exc:
        raise SealBroken("sealed under another key, or altered") from exc
