"""Passwords are hashed with the production argon2id parameters; the suite's cheap ones are
for tests only and refused in production."""

from __future__ import annotations

import pytest

from admit.members import passwords
from admit.settings import Settings, configure, current


@pytest.fixture
def production_hashing():
    passwords.configure("production")
    yield
    passwords.configure("fast-insecure-test")


def test_production_parameters(production_hashing):
    """OWASP's argon2id minimum (19 MiB, two passes, one lane), written into every hash."""
    assert passwords.parameters() == (2, 19 * 1024, 1)
    hashed = passwords.hash_password("a-good-password-42")
    assert hashed.startswith("$argon2id$") and "m=19456,t=2,p=1" in hashed
    assert passwords.verify_password(hashed, "a-good-password-42")
    assert not passwords.verify_password(hashed, "a-good-password-43")
    assert not passwords.verify_password(None, "a-good-password-42")  # unknown account


def test_the_test_profile_is_refused_in_production(production_hashing):
    before = current()
    configure(Settings(environment="production", secret_key="x" * 40, public_url="https://admit.example"))
    try:
        with pytest.raises(RuntimeError, match="production"):
            passwords.configure("fast-insecure-test")
        assert passwords.parameters() == (2, 19 * 1024, 1)
    finally:
        configure(before)


def test_common_passwords_are_refused_whatever_their_case():
    import pytest

    from admit.errors import InvalidInput
    from admit.members.passwords import check_strength

    for common in ("password1234", "qwertyuiop", "1234567890", "Iloveyou123"):
        with pytest.raises(InvalidInput) as refused:
            check_strength(common.upper(), min_length=10)
        assert refused.value.field == "password" and "common" in str(refused.value), common
    assert check_strength("violet-harbour-42", min_length=10) == "violet-harbour-42"


def test_a_common_password_too_short_is_refused_as_common():
    """``password1`` was refused for its length only: the person, told to lengthen it, typed
    ``password12``, as common. A common password is said to be common whatever its length."""
    from admit.errors import InvalidInput
    from admit.members.passwords import check_strength

    for common in ("password1", "123456", "qwerty", "Dragon"):
        with pytest.raises(InvalidInput) as refused:
            check_strength(common, min_length=10)
        assert refused.value.field == "password" and "most common" in str(refused.value), common
    with pytest.raises(InvalidInput, match="at least 10 characters"):
        check_strength("violet-42", min_length=10)  # short, not common: its length
