"""Secrets Admit must use again later, sealed at rest: a webhook's signing secret, an
authenticator app's secret, an HR system's key, a waiting message's link and code (the README's
``ADMIT_ENCRYPTION_KEY`` row names each, and what to do after the key changes;
``tests/test_sealed_secrets.py`` keeps it so).

Sealed with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under a key from the
environment: ``ADMIT_ENCRYPTION_KEY`` (a Fernet key: 32 random bytes, url-safe base64), or, when it is
not set, one derived from ``ADMIT_SECRET_KEY`` with HKDF. Changing
the key that sealed a secret makes it unreadable (``SealBroken``): each caller says what to do.

``seal_many`` seals a batch (thousands of outbox messages' links at once: ``notifications.sealed``)
with AES-256-GCM under a key derived from the same one (HKDF), a random 96-bit nonce each: as
authenticated as Fernet, ~1 µs a value where Fernet builds a cipher and an HMAC for each (~12 µs).
``open_sealed`` opens either (a GCM value starts with its own version byte, 0x81; Fernet's is 0x80).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from admit.settings import Settings

__all__ = ["SealBroken", "open_sealed", "open_with", "seal", "seal_many", "seal_many_with", "seal_with"]


class SealBroken(Exception):
    """The sealed value was made under another key, or altered."""


def _fernet_key(secret_key: str, encryption_key: str | None) -> bytes:
    if encryption_key:
        return encryption_key.encode()
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"admit secretbox v1").derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(derived)


@lru_cache(maxsize=8)
def _fernet(secret_key: str, encryption_key: str | None) -> Fernet:
    return Fernet(_fernet_key(secret_key, encryption_key))


@lru_cache(maxsize=8)
def _aead(secret_key: str, encryption_key: str | None) -> AESGCM:
    """``seal_many``'s cipher: a key of its own, derived from the Fernet key (no bytes serve two
    ciphers)."""
    material = base64.urlsafe_b64decode(_fernet_key(secret_key, encryption_key))
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"admit secretbox gcm v1")
    return AESGCM(hkdf.derive(material))


GCM = b"\x81"  # the version byte of a ``seal_many`` value
_NONCE = 12


def seal(plain: str, *, secret_key: str, encryption_key: str | None = None) -> str:
    return _fernet(secret_key, encryption_key).encrypt(plain.encode()).decode()


def seal_many(plains: Sequence[str], *, secret_key: str, encryption_key: str | None = None) -> list[str]:
    """Seal each of ``plains`` (see the module's docstring); one read of the random source for all."""
    cipher = _aead(secret_key, encryption_key)
    nonces = os.urandom(_NONCE * len(plains))
    encode = base64.urlsafe_b64encode
    out = []
    for i, plain in enumerate(plains):
        nonce = nonces[i * _NONCE : (i + 1) * _NONCE]
        out.append(encode(GCM + nonce + cipher.encrypt(nonce, plain.encode(), GCM)).decode("ascii"))
    return out


def open_sealed(sealed: str, *, secret_key: str, encryption_key: str | None = None) -> str:
    """What ``seal`` or ``seal_many`` sealed; ``SealBroken`` under another key, or altered."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        if raw[:1] == GCM:
            nonce, body = raw[1 : 1 + _NONCE], raw[1 + _NONCE :]
            return _aead(secret_key, encryption_key).decrypt(nonce, body, GCM).decode()
        return _fernet(secret_key, encryption_key).decrypt(sealed.encode()).decode()
    except (InvalidToken, InvalidTag, ValueError) as exc:
        raise SealBroken("sealed under another key, or altered") from exc


# What the services call: the deployment's settings say which key seals (``ADMIT_ENCRYPTION_KEY``,
# else one derived from ``ADMIT_SECRET_KEY``), here only.


def seal_with(settings: Settings, plain: str) -> str:
    """``seal`` under the key ``settings`` name."""
    return seal(plain, secret_key=settings.secret_key, encryption_key=settings.encryption_key)


def seal_many_with(settings: Settings, plains: Sequence[str]) -> list[str]:
    """``seal_many`` under the key ``settings`` name."""
    return seal_many(plains, secret_key=settings.secret_key, encryption_key=settings.encryption_key)


def open_with(settings: Settings, sealed: str) -> str:
    """``open_sealed`` under the key ``settings`` name; ``SealBroken`` under another."""
    return open_sealed(sealed, secret_key=settings.secret_key, encryption_key=settings.encryption_key)
