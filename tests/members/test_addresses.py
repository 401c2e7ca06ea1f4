"""Recipients as people type them: emails (with typo suggestions) and phone numbers."""

from __future__ import annotations

import pytest

from admit.members.addresses import (
    heading_columns,
    normalize_phone,
    parse_recipient,
    split_recipients,
    typo_suggestion,
)


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


class TestSplitRecipients:
    def test_pasted_spreadsheet_columns_keep_their_names(self):
        """Name ⇥ Email (the commonest paste): one recipient per row, named; not each name
        reported as an address without an @-sign (issue 10)."""
        pasted = "Ada Lovelace\tada@example.com\r\nGrace\tHopper\tgrace@example.com\nBob\t+1 202 555 0173\n"
        assert split_recipients(pasted) == [
            "Ada Lovelace <ada@example.com>",
            "Grace Hopper <grace@example.com>",
            "Bob <+1 202 555 0173>",
        ]
        parsed = [parse_recipient(r, region="US") for r in split_recipients(pasted)]
        assert [(p.email or p.phone, p.name, p.error) for p in parsed] == [
            ("ada@example.com", "Ada Lovelace", None),
            ("grace@example.com", "Grace Hopper", None),
            ("+12025550173", "Bob", None),
        ]

    def test_an_address_books_quoted_name_keeps_its_comma(self):
        """Outlook and Gmail copy ``"Smith, John" <john@…>``: one recipient named "Smith, John"
        (it was split into "\"Smith" and John's address under the name "John"). A quote or a
        bracket never closed protects nothing."""
        typed = '"Smith, John" <john.smith@example.com>, ada@example.com; Bo <bo@example.com>'
        assert split_recipients(typed) == [
            '"Smith, John" <john.smith@example.com>',
            "ada@example.com",
            "Bo <bo@example.com>",
        ]
        john = parse_recipient(split_recipients(typed)[0], region="US")
        assert (john.email, john.name, john.error) == ("john.smith@example.com", "Smith, John", None)
        assert split_recipients('"Smith, a@example.com, b@example.com') == [
            '"Smith',
            "a@example.com",
            "b@example.com",
        ]

    def test_a_pasted_row_of_headings_is_left_out(self):
        """A spreadsheet pasted with its headings (Name ⇥ Email, Email ⇥ First ⇥ Last, a lone
        "email" over a column): the headings are not recipients (they were reported as 'not an
        address'). A row with a cell that is no heading is still people."""
        assert split_recipients("Name\tE-mail Address\nAda Lovelace\tada@example.com") == [
            "Ada Lovelace <ada@example.com>"
        ]
        assert split_recipients("Email\tFirst\tLast\nada@example.com\tAda\tLovelace") == [
            "Ada Lovelace <ada@example.com>"
        ]
        assert split_recipients("email\nada@example.com") == ["ada@example.com"]
        assert split_recipients("Name\tNotes\nAda\tada@example.com") == [
            "Name <Notes>",
            "Ada <ada@example.com>",
        ]  # fmt: skip  (a row with no address: one recipient to fix, as any such row)

    def test_a_pasted_row_of_headings_may_name_a_column_nobody_reads(self):
        """``heading_columns`` is the one rule, a file's first row's too (tests/imports): a column
        nobody reads (Dept) does not make it people, nor goes into anyone's name; a row with an
        address or a phone number in it is people."""
        headed = "Name,Email,Dept\nAda Lovelace,ada@example.com,R&D\n"
        assert split_recipients(headed.replace(",", "\t")) == ["Ada Lovelace <ada@example.com>"]
        # The rows under it are read by its columns, whatever their order.
        assert split_recipients("Email\tDept\tFirst\tLast\nada@example.com\tR&D\tAda\tLovelace") == [
            "Ada Lovelace <ada@example.com>"
        ]
        assert split_recipients("Ada Lovelace, Mobile") == ["Ada Lovelace", "Mobile"]  # typed: shown
        for people in ("Tel\t+1 202 555 0173", "Email\tada@example.com"):
            assert heading_columns(people.split("\t")) is None
            assert split_recipients(people) != []

    def test_commas_semicolons_and_lines_still_separate_addresses(self):
        """Typed lists are unchanged: commas, semicolons and Enter separate recipients; a row with
        two addresses is one recipient per cell (nothing becomes a name by accident)."""
        assert split_recipients("a@x.com, b@x.com;c@x.com\nAda <ada@x.com>") == [
            "a@x.com", "b@x.com", "c@x.com", "Ada <ada@x.com>",
        ]  # fmt: skip
        assert split_recipients("a@x.com\tb@x.com") == ["a@x.com", "b@x.com"]
        assert split_recipients("Ada <ada@x.com>\tLovelace") == ["Ada <ada@x.com>"]

    def test_a_pasted_row_with_a_bad_address_is_one_recipient_named(self):
        """The tester pasted "Eve Eng ⇥ not-an-email": two red chips, "Eve Eng" said to need an
        @-sign, "3 to fix" for 2 bad rows. A row with no address is one recipient: its address
        the cell that could be one (no spaces in it; else the last), named by the others, so one
        error, on the address, beside the person's name; the API, the CLI and imports read it so."""
        assert split_recipients("Eve Eng\tnot-an-email\nNobody\tThere\nAda\tada@x.com") == [
            "Eve Eng <not-an-email>",
            "Nobody <There>",
            "Ada <ada@x.com>",
        ]
        eve = parse_recipient(split_recipients("Eve Eng\tnot-an-email")[0], region="US")
        assert (eve.email, eve.name) == (None, "Eve Eng") and eve.error
        assert split_recipients("Eve Eng\tFinance team") == ["Eve Eng <Finance team>"]


def test_a_local_part_over_64_characters_is_refused():
    """Issue 14 item 10: RFC 5321 allows 64 characters before the @-sign (the fast path and
    email-validator's path alike)."""
    from admit.members.addresses import normalize_email

    assert normalize_email("a" * 64 + "@example.com")[1] is None
    for local in ("a" * 65, "é" * 40):  # 65 characters; 80 bytes in UTF-8
        address, error = normalize_email(local + "@example.com")
        assert address is None and "64" in (error or ""), (local, error)


def test_numbers_that_earn_someone_money_are_refused():
    """Issue 14 item 8 (SMS pumping): premium-rate, shared-cost and satellite numbers are not
    texted; mobile and fixed-line numbers of a country are."""
    from admit.members.addresses import normalize_phone

    for typed, kind in (
        ("+1 900 555 0123", "Premium-rate"),
        ("+44 909 879 0000", "Premium-rate"),
        ("+881 6 12345678", "Satellite"),
    ):
        phone, error = normalize_phone(typed, region="US")
        assert phone is None and error.startswith(kind), (typed, error)
    assert normalize_phone("+44 7911 123456", region="US") == ("+447911123456", None)
    assert normalize_phone("(202) 555-0173", region="US") == ("+12025550173", None)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("bad@@acme", "Not an email address: it has two @."),
        ("Bad Person <a@b@acme.com>", "Not an email address: it has two @."),
        ("a@@b@acme.com", "Not an email address: it has 3 @ (an address has one)."),
    ],
)
def test_more_than_one_at_sign_is_said_in_words(typed, said):
    """It said "The part after the @-sign contains invalid characters: '@'." (the tester: it
    reads like code). The address is not said again: wherever the reason is shown, the address
    is beside it (a chip, a report's row, the field), and it read "x@@y.com: x@@y.com is not…"."""
    assert parse_recipient(typed, region="US").error == said


def test_an_empty_field_says_what_to_enter():
    """It said "The address is empty." (the setup page, Contacts' Invite a client): what to do,
    as the field takes it, said by the address check alone."""
    from admit.members.addresses import normalize_email

    assert normalize_email("  ")[1] == "Enter an email address."
    assert parse_recipient("  ", region="US").error == "Enter an email address or phone number."
    assert parse_recipient("Ada <>", region="US").error == "Enter an email address or phone number."
