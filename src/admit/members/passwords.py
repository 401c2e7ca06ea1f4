"""Password hashing (argon2id) and the one strength rule.

The parameters are OWASP's recommended argon2id minimum (19 MiB, t=2, p=1): the library's
defaults (64 MiB, t=3, p=4) cost ~71 ms a hash on this machine and cap sign-ins at ~18/s.
The test suite switches to argon2's cheapest parameters with ``configure("fast-insecure-test")``
(refused when ``ADMIT_ENVIRONMENT`` is production); nothing else calls ``configure``.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Literal, TypedDict

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from admit import context
from admit import settings as settings_module
from admit.db import step_out
from admit.errors import InvalidInput, at_most_characters
from admit.kit.text import is_phone
from admit.members.addresses import same_phone

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Profile = Literal["production", "fast-insecure-test"]


class Parameters(TypedDict):
    """argon2id's cost parameters (``PasswordHasher``'s keywords)."""

    time_cost: int
    memory_cost: int  # KiB
    parallelism: int


PROFILES: dict[Profile, Parameters] = {
    "production": {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1},
    # argon2's floor (8 KiB, one pass): a hash in microseconds instead of ~40 ms. Tests only.
    "fast-insecure-test": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
}
MAX_LENGTH = 256
_DUMMY_PASSWORD = "not-a-real-password-just-for-timing"
_hasher: PasswordHasher
_dummy_hash: str | None


def configure(profile: Profile) -> None:
    """Hash new passwords with ``profile``'s parameters (older hashes still verify: a hash carries
    its own parameters)."""
    global _hasher, _dummy_hash
    if profile != "production" and settings_module.current().environment == "production":
        raise RuntimeError(f"password hashing profile {profile!r} refused: ADMIT_ENVIRONMENT is production")
    params = PROFILES[profile]
    _hasher = PasswordHasher(
        time_cost=params["time_cost"], memory_cost=params["memory_cost"], parallelism=params["parallelism"]
    )
    _dummy_hash = None  # made again with these parameters, when first needed


def dummy_hash() -> str:
    """A hash of a password nobody has, with the parameters in force: verified against when an
    address has no account, so that signing in takes as long whether or not it has one. Made on
    first use, not as this module is imported (~40 ms of every process's start, and most
    processes sign nobody in); a web process makes it before it serves
    (``app._build_what_first_requests_would``), so that its first sign-in costs what the others do."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(_DUMMY_PASSWORD)
    return _dummy_hash


def parameters() -> tuple[int, int, int]:
    """The parameters new hashes get: (time_cost, memory_cost KiB, parallelism)."""
    return _hasher.time_cost, _hasher.memory_cost, _hasher.parallelism


configure("production")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@functools.cache
def _common() -> frozenset[str]:
    """The 30,000 most common passwords (zxcvbn's list, from leaked password sets), lower-case,
    read once when first needed."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # ~0.1 s and a few MB: only when needed

    return frozenset(FREQUENCY_LISTS["passwords"])


def _own(address: str | None) -> str:
    """What the last rule calls the address a password must not be: a person invited by phone
    has no email address."""
    return "your phone number" if address and is_phone(address) else "your email address"


def check_strength(password: str | None, *, min_length: int, address: str | None = None) -> str:
    """Return the password, or raise ``InvalidInput`` (field ``password``) saying the rule.
    ``address``: the person's email address or, with none, their phone number (E.164). A common
    password is said to be common before its length is asked: ``password1``, told only to be
    longer, came back as ``password12``, as common."""
    if not password:
        raise InvalidInput("A password is required.", field="password")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(at_most_characters(MAX_LENGTH, password), field="password")
    if password.lower() in _common():
        raise InvalidInput(
            "This password is one of the most common ones, the first an attacker tries: choose another.",
            field="password",
        )
    if len(password) < min_length:
        raise InvalidInput(f"The password must be at least {min_length} characters long.", field="password")
    if len(set(password)) < 4:
        raise InvalidInput("The password must use at least 4 different characters.", field="password")
    if address and (
        password.lower() == address.lower() or (is_phone(address) and same_phone(password, address))
    ):
        raise InvalidInput(f"The password must not be {_own(address)}.", field="password")
    return password


def rules_in_words(min_length: int, address: str | None) -> str:
    """What ``check_strength`` asks of a password, as the forms that choose one say it to the
    person of ``address`` (their email address or phone number; None: an email still to type)."""
    return (
        f"At least {min_length} characters, 4 of them different; not one of the most common "
        f"passwords, nor {_own(address)}."
    )


def check_chosen(session: Session, password: str | None, *, address: str | None) -> str:
    """A password someone chose, held to ``check_strength`` at the settings' minimum length
    (``address``: theirs); raises ``InvalidInput`` (field ``password``) as it does."""
    min_length = context.of(session).settings.password_min_length
    return check_strength(password, min_length=min_length, address=address)


def hash_chosen(session: Session, password: str | None, *, address: str | None) -> tuple[str, bool]:
    """The hash of a password someone chose, once it passes ``check_chosen``, hashed with
    SQLite's write lock free (``db.step_out``), with whether the transaction was ended for that:
    then the caller reads again what its writes depend on, as another request may have changed
    it meanwhile."""
    chosen = check_chosen(session, password, address=address)
    stepped_out = step_out(session)
    return hash_password(chosen), stepped_out
