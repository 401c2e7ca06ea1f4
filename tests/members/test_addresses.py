"""Recipients as people type them: emails (with typo suggestions) and phone numbers."""

from __future__ import annotations

import pytest

from admit.members.addresses import normalize_phone, parse_recipient, typo_suggestion


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("ada@gmial.com", "ada@gmail.com"),
        ("x@acme.con", "x@acme.com"),
        ("bob@gmial.con", "bob@gmail.com"),  # both at once: the whole domain, not half of it
        ("a@hotmial.cmo", "a@hotmail.com"),
        ("ok@gmail.com", None),
        ("ok@acme.co", None),
    ],
)
def test_typo_suggestion(typed, suggested):
    assert typo_suggestion(typed) == suggested


@pytest.mark.parametrize(
    ("typed", "phone"),
    [
        ("(202) 555-0173", "+12025550173"),  # national form, read in the default region (US)
        ("+44 20 7946 0958", "+442079460958"),
        ("202.555.0173", "+12025550173"),
        ("Ada <+1 202 555 0173>", "+12025550173"),
    ],
)
def test_phone_numbers_become_e164(typed, phone):
    parsed = parse_recipient(typed, region="US")
    assert (parsed.phone, parsed.email, parsed.address, parsed.error) == (phone, None, phone, None)


@pytest.mark.parametrize("typed", ["12345", "555-0123", "+999 123"])
def test_invalid_phone_numbers_say_so(typed):
    parsed = parse_recipient(typed, region="US")
    assert parsed.address is None and "phone number" in parsed.error


def test_national_form_follows_the_region():
    assert normalize_phone("020 7946 0958", region="GB") == ("+442079460958", None)
