"""Recipient addresses: splitting what people type or paste, normalising emails and phones.

A recipient is an email address or a phone number. Phone numbers are accepted in national
(``(201) 555-0123``, read in ``ADMIT_DEFAULT_PHONE_REGION``) or international
(``+44 20 7946 0958``) form and kept as E.164 (``+442079460958``) via ``phonenumbers``; a
stored recipient that starts with ``+`` is a phone number.

A normalised email is lowercase with an ASCII (IDNA) domain, so ``Ada@Bücher.example`` and
``ada@xn--bcher-kva.example`` are the same person. Display names (``Ada <ada@x.org>``) and
surrounding spaces or quotes are taken off.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from admit.errors import Checks, InvalidInput
from admit.kit.text import is_phone  # the rule is in kit (notifications ask it too); named here as before

__all__ = [
    "ADDRESS_HEADINGS",
    "ADDRESS_HEADINGS_IN_WORDS",
    "ParsedRecipient",
    "address_and_name",
    "as_typed",
    "column_meaning",
    "company_domain",
    "heading_columns",
    "read_by_columns",
    "domain_allowed",
    "normalize_domain",
    "normalize_domains",
    "is_phone",
    "looks_like_phone",
    "name_and_address",
    "normalize_email",
    "normalize_phone",
    "parse_recipient",
    "recipients_by_element",
    "split_recipients",
    "typo_suggestion",
]

# Enter, comma or semicolon separate recipients (a spreadsheet column pastes as lines); a tab
# separates a spreadsheet row's columns (see ``address_and_name``).
_LINES = re.compile(r"[\n\r]+")
_SEPARATORS = re.compile(r"[,;]+")
_NAME_ADDR = re.compile(r"^\s*(?P<name>.*?)\s*<\s*(?P<addr>[^<>]*?)\s*>\s*$")
MAX_NAME = 200

# What a column of a list is, by its heading (an uploaded file's, a pasted spreadsheet's), as
# people write them: compared lowercased, letters only ("E-mail Address" is "emailaddress").
COLUMN_NAMES = {
    "email": {"email", "emails", "emailaddress", "mail", "workemail", "emailaddresses", "courriel"},
    "name": {"name", "fullname", "displayname", "employee", "employeename", "contactname"},
    "first_name": {"firstname", "givenname", "first", "forename"},
    "last_name": {"lastname", "surname", "familyname", "last"},
    "phone": {"phone", "phonenumber", "mobile", "mobilephone", "tel", "telephone", "cell"},
    "role": {"role", "userrole"},
}


# The headings of an address column a refusal names, as people write them (each is one of
# ``COLUMN_NAMES``): the words of "No Email or Phone column" (``imports.parsing``).
ADDRESS_HEADINGS = {"email": ("Email", "E-mail", "Email Address", "Work Email"), "phone": ("Phone", "Mobile")}
ADDRESS_HEADINGS_IN_WORDS = " or ".join(
    f"{said[0]} (or {', '.join(said[1:])})" for said in ADDRESS_HEADINGS.values()
)


def column_meaning(heading: str) -> str | None:
    """What a column headed ``heading`` holds (a key of ``COLUMN_NAMES``), if it says."""
    key = re.sub(r"[^a-z]", "", heading.lower())
    return next((meaning for meaning, names in COLUMN_NAMES.items() if key in names), None)


@dataclass(frozen=True, slots=True)
class ParsedRecipient:
    raw: str
    email: str | None
    name: str
    error: str | None
    phone: str | None = None  # E.164, when the recipient is a phone number
    # Typed as a phone number (``looks_like_phone``), whether or not it is a valid one: what the
    # person meant, for the words around it ("Check your phone").
    by_phone: bool = False

    @property
    def address(self) -> str | None:
        """What identifies the recipient: the normalised email or the E.164 number."""
        return self.email or self.phone


# The punctuation of a written phone number.
_PUNCTUATION = r"\s().\-/"

# Digits with the usual punctuation of a written phone number, optionally a leading +.
_PHONE_LIKE = re.compile(rf"^\+?[\d{_PUNCTUATION}]{{4,30}}$")


# Only digits and a phone number's punctuation, of any length: meant as a phone number even when
# too short or too long to be read as one ("+44", "123"), so refused as one, not as an email.
_DIGITS_ONLY = re.compile(rf"^\+?[{_PUNCTUATION}]*\d[\d{_PUNCTUATION}]*$")


def looks_like_phone(text: str) -> bool:
    """Digits with a phone number's usual punctuation (and no ``@``): worth reading as a phone."""
    text = text.strip()
    return "@" not in text and bool(_PHONE_LIKE.match(text)) and sum(c.isdigit() for c in text) >= 4


def normalize_phone(text: str, *, region: str) -> tuple[str | None, str | None]:
    """Return ``(E.164, None)`` or ``(None, what is wrong)`` for a typed phone number; a number
    without a country code is read as ``region``'s (``ADMIT_DEFAULT_PHONE_REGION``)."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None, "Not a valid phone number."
    if not phonenumbers.is_valid_number(number):
        return None, "Not a valid phone number: check the digits and the country code."
    # SMS pumping: texts to premium-rate, shared-cost, satellite and other such numbers earn
    # someone money. Only mobile and fixed-line numbers of a country are taken.
    kind = phonenumbers.number_type(number)
    if phonenumbers.region_code_for_number(number) in (None, "001"):  # no country: +881, +882…
        return None, "Satellite and international-network numbers cannot be invited: use a mobile number."
    if kind not in _TEXTABLE:
        return (
            None,
            f"{_KIND_WORDS.get(kind, 'This kind of')} numbers cannot be invited: use a mobile number.",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def same_phone(text: str, e164: str) -> bool:
    """Whether ``text`` is the phone number ``e164`` written any way ("(202) 555-0173", "202 555
    0173" for +12025550173: read as a number of that number's country)."""
    if not looks_like_phone(text):
        return False
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return False
    return normalize_phone(text, region=region or "ZZ")[0] == e164


_TEXTABLE = frozenset(
    (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
)
_KIND_WORDS = {
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "Premium-rate",
    phonenumbers.PhoneNumberType.SHARED_COST: "Shared-cost",
    phonenumbers.PhoneNumberType.TOLL_FREE: "Toll-free",
    phonenumbers.PhoneNumberType.VOIP: "Internet (VoIP)",
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: "Personal (forwarding)",
    phonenumbers.PhoneNumberType.PAGER: "Pager",
    phonenumbers.PhoneNumberType.UAN: "Universal access",
    phonenumbers.PhoneNumberType.VOICEMAIL: "Voicemail",
}


# An ASCII dot-atom local part (RFC 5322 atext), which is nearly every real address.
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")
MAX_ADDRESS = 254
MAX_LOCAL = 64
# Obvious typos of common mail domains and top-level domains, offered as "did you mean".
_DOMAIN_TYPOS = {
    "gmial.com": "gmail.com",
    "gmai.com": "gmail.com",
    "gamil.com": "gmail.com",
    "gnail.com": "gmail.com",
    "gmail.co": "gmail.com",
    "gmaill.com": "gmail.com",
    "gmail.cm": "gmail.com",
    "hotmial.com": "hotmail.com",
    "hotmai.com": "hotmail.com",
    "hotmal.com": "hotmail.com",
    "yahooo.com": "yahoo.com",
    "yaho.com": "yahoo.com",
    "outlok.com": "outlook.com",
    "outloo.com": "outlook.com",
    "iclod.com": "icloud.com",
}
_TLD_TYPOS = {
    "con": "com",
    "cmo": "com",
    "ocm": "com",
    "comm": "com",
    "vom": "com",
    "xom": "com",
    "nte": "net",
    "ogr": "org",
    "orgg": "org",
}


@lru_cache(maxsize=65536)
def _check_domain(domain: str) -> tuple[str | None, str | None]:
    """Validate a domain once (IDNA, syntax, special-use names); cached per domain."""
    try:
        info = validate_email(f"a@{domain}", check_deliverability=False)
    except EmailNotValidError as exc:
        return None, _refusal(exc, domain)
    return (info.ascii_domain or info.domain).lower(), None


def _refusal(exc: EmailNotValidError, domain: str) -> str:
    """email-validator's reason, in words that say what to do where its own do not."""
    said = str(exc)
    if "special-use or reserved" in said:
        return (
            f"“{domain}” is a name kept for tests and examples, and no mail reaches it. "
            "Use an address at a real domain."
        )
    return said


# Mail services anyone may sign up to: an address there tells nothing of a company's domain.
PERSONAL_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
        "yahoo.com", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me",
        "protonmail.com", "pm.me", "gmx.com", "gmx.net", "gmx.de", "web.de", "mail.com",
        "zoho.com", "yandex.com", "yandex.ru", "mail.ru", "qq.com", "163.com", "126.com",
        "fastmail.com", "hey.com", "tutanota.com", "outlook.fr", "hotmail.fr", "hotmail.co.uk",
        "yahoo.fr", "yahoo.co.uk", "orange.fr", "free.fr", "laposte.net", "t-online.de",
    }
)  # fmt: skip


def company_domain(address: str | None) -> str | None:
    """The domain of a work address (``olive@Acme.com`` → ``acme.com``), as an allowed domain is
    written; None for no address or a personal mail service's (``gmail.com``)."""
    if not address or "@" not in address:
        return None
    try:
        domain = normalize_domain(address.rpartition("@")[2])
    except InvalidInput:
        return None
    return None if domain in PERSONAL_MAIL_DOMAINS else domain


def typo_suggestion(address: str) -> str | None:
    """``ada@gmial.com`` -> ``ada@gmail.com``; ``x@acme.con`` -> ``x@acme.com``; both at once
    (``bob@gmial.con`` -> ``bob@gmail.com``); else None."""
    local, _, domain = address.rpartition("@")
    fixed = _domain_typo(domain)
    return f"{local}@{fixed}" if fixed else None


def _domain_typo(domain: str) -> str | None:
    """``gmial.con`` -> ``gmail.com``; None when the domain looks as meant."""
    fixed = domain = domain.lower()
    head, dot, tld = fixed.rpartition(".")
    if dot and tld in _TLD_TYPOS:
        fixed = f"{head}.{_TLD_TYPOS[tld]}"
    fixed = _DOMAIN_TYPOS.get(fixed, fixed)
    return fixed if fixed != domain else None


def _mistyped(meant: str) -> str:
    """What an address or a domain with a known typo is told (``typo_suggestion``)."""
    return f"The domain looks mistyped. Did you mean {meant}?"


# What an empty field is told, as the field takes it: said here alone, wherever it is read.
EMPTY_EMAIL = "Enter an email address."
EMPTY_RECIPIENT = "Enter an email address or phone number."


def unquoted(text: str) -> str:
    """``text`` without the spaces and the quotes a spreadsheet or a mail client puts around a
    name or an address ("'Ann Lee'", "\" ann@x.org \"")."""
    return text.strip().strip("'\"").strip()


def normalize_email(address: str) -> tuple[str | None, str | None]:
    """Return ``(normalised, None)`` or ``(None, what is wrong)``.

    The common case (an ASCII dot-atom local part) is checked here and its domain validated
    once per domain; anything else goes through email-validator whole. Both give the same
    answers: email-validator is ~24 µs an address, the fast path a fraction of that.
    """
    address = unquoted(address)
    if not address:
        return None, EMPTY_EMAIL
    ats = address.count("@")
    if ats > 1:  # email-validator: "The part after the @-sign contains invalid characters: '@'."
        many = "two @" if ats == 2 else f"{ats} @ (an address has one)"
        # Not the address again: wherever this is said, the address is beside it (a chip, a
        # report's row "x@@y.com: …", the field), and it read "x@@y.com: x@@y.com is not…".
        return None, f"Not an email address: it has {many}."
    local, at, domain = address.rpartition("@")
    if (
        at
        and len(address) <= MAX_ADDRESS
        and len(local) <= MAX_LOCAL
        and local.isascii()
        and domain.isascii()
        and _DOT_ATOM.match(local)
    ):
        ascii_domain, error = _check_domain(domain.lower())
        if ascii_domain is None:
            return None, error
        if len(local) + 1 + len(ascii_domain) > MAX_ADDRESS:
            return None, "The email address is too long."
        suggestion = typo_suggestion(address)
        if suggestion:
            return None, _mistyped(suggestion.lower())
        return f"{local}@{ascii_domain}".lower(), None
    try:
        info = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return None, _refusal(exc, domain)
    local, _, _domain = info.normalized.rpartition("@")
    # RFC 5321: a longer local part may be refused by servers (email-validator lets it by).
    if len(local.encode("utf-8")) > MAX_LOCAL:
        return None, f"The part before the @-sign is longer than {MAX_LOCAL} characters."
    domain = info.ascii_domain or info.domain
    suggestion = typo_suggestion(address)
    if suggestion:
        return None, _mistyped(suggestion.lower())
    return f"{local}@{domain}".lower(), None


def name_and_address(text: str) -> tuple[str, str] | None:
    """``Name <address>`` as ``(name, address)``, the name without the quotes around it (an
    address book's ``"Smith, John" <john@example.com>``); None when ``text`` is not written so.
    The one reading of it, for a recipient typed (``parse_recipient``) and a list's row
    (``imports.parsing``)."""
    match = _NAME_ADDR.match(text)
    if match is None:
        return None
    return unquoted(match.group("name")), match.group("addr")


def parse_recipient(raw: str, *, region: str) -> ParsedRecipient:
    """One recipient as typed: ``Name <address>``, an email address or a phone number (read in
    ``region`` when it has no country code)."""
    text = raw.strip()
    name = ""
    if (named := name_and_address(text)) is not None:
        name, text = named
    if not unquoted(text):
        return ParsedRecipient(raw=raw.strip(), email=None, name=name, error=EMPTY_RECIPIENT)
    if looks_like_phone(text):
        phone, error = normalize_phone(text.strip(), region=region)
        return ParsedRecipient(
            raw=raw.strip(), email=None, name=name, error=error, phone=phone, by_phone=True
        )
    if _DIGITS_ONLY.match(text.strip()):
        few = sum(c.isdigit() for c in text) < 4
        error = f"Not a valid phone number: too {'few' if few else 'many'} digits."
        return ParsedRecipient(raw=raw.strip(), email=None, name=name, error=error)
    email, error = normalize_email(text)
    return ParsedRecipient(raw=raw.strip(), email=email, name=name, error=error)


def address_and_name(cells: list[str]) -> tuple[str, str] | None:
    """A spreadsheet row (``Ada Lovelace ⇥ ada@example.com``, ``Ada ⇥ Lovelace ⇥ +1 202…``):
    ``(address, name)`` when it holds exactly one email address (or, with none, exactly one phone
    number); the cells that are neither, joined, are the name. A row with no address at all
    (``Eve Eng ⇥ not-an-email``) is still one person: the address tried is its last cell with no
    space in it (else its last cell), the others their name, so that the row has one error, on
    its address, said with the name. ``None`` when the row holds several addresses (then each
    cell stands for itself) or nothing."""
    cells = [c.strip() for c in cells if c.strip()]
    emails = [c for c in cells if "@" in c]
    phones = [c for c in cells if looks_like_phone(c)]
    if len(emails) > 1 or (not emails and len(phones) > 1) or not cells:
        return None
    if emails or phones:
        address = emails[0] if emails else phones[0]
        return address, _plain_name(" ".join(c for c in cells if "@" not in c and not looks_like_phone(c)))
    unspaced = [at for at, cell in enumerate(cells) if not any(ch.isspace() for ch in cell)]
    at = unspaced[-1] if unspaced else len(cells) - 1
    return cells[at], _plain_name(" ".join(cells[:at] + cells[at + 1 :]))


def _plain_name(text: str) -> str:
    """A name read from a list's cells, without the ``<>`` that would make it an address."""
    return text.replace("<", "").replace(">", "").strip()


def as_typed(address: str, name: str = "") -> str:
    """A recipient written back into the Invite box ("Invite again") so that it reads as one:
    ``Name <address>``, the name without the commas and semicolons the box splits at."""
    name = _SEPARATORS.sub(" ", name or "").strip()
    return f"{name} <{address}>" if name else address


def heading_columns(cells: list[str]) -> dict[str, int] | None:
    """The columns of a row of headings, by meaning (``{"name": 0, "email": 1}``), or None when
    the row is people. A row of headings names an address column (email or phone) and holds no
    address or phone number; a cell it does not know (``Dept``) is a column nobody reads. The
    one rule for an uploaded file's first row and a pasted spreadsheet's lines."""
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        cell = cell.strip()
        if "@" in cell or looks_like_phone(cell):
            return None
        meaning = column_meaning(cell) if cell else None
        if meaning is not None and meaning not in found:
            found[meaning] = index
    return found if ("email" in found or "phone" in found) else None


def read_by_columns(cells: list[str], columns: dict[str, int]) -> dict[str, str]:
    """A row's cells by what their columns hold (``heading_columns``): ``email``, ``name`` (or
    its first and last names joined), ``phone`` and ``role``, each "" when the row has none. A
    column nobody reads (``Dept``) stays out of them all."""

    def cell(meaning: str) -> str:
        index = columns.get(meaning)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    name = cell("name") or " ".join(part for part in (cell("first_name"), cell("last_name")) if part)
    return {"email": cell("email"), "name": name, "phone": cell("phone"), "role": cell("role")}


def split_recipients(values: list[str] | str) -> list[str]:
    """One string per recipient, in order: a text typed or pasted into the Invite box, or a list
    of such texts (``recipients_by_element``). A line holds one or more, separated by commas or
    semicolons; a line with tabs is a pasted spreadsheet row, whose name columns go with its
    address (``Name <address>``), or its row of headings, which is left out."""
    if isinstance(values, str):
        return _recipients_in(values)
    return [text for _, text in recipients_by_element(values)]


def recipients_by_element(values: list[str]) -> list[tuple[int, str]]:
    """A list's recipients (the API's ``recipients``, the CLI's arguments), each with the index
    of the element it came from: an element may hold several, read as the Invite box reads a
    paste; a blank one is kept, empty, for the parser to refuse, so that every element has a
    result of its own and each result can be traced to its element (one that is only a pasted
    row of headings holds no recipient, as in a paste)."""
    out: list[tuple[int, str]] = []
    for index, value in enumerate(values):
        text = value or ""
        found = _recipients_in(text) or ([] if text.strip() else [""])
        out.extend((index, recipient) for recipient in found)
    return out


def _recipients_in(value: str) -> list[str]:
    """The recipients a typed or pasted text holds (``split_recipients``)."""
    out: list[str] = []
    columns: dict[str, int] | None = None
    for line in _LINES.split(value):
        # A pasted spreadsheet's row of headings (Name ⇥ Email ⇥ Dept, a lone "email"): left
        # out, and the rows below it read by its columns, as a file's are. A typed line with
        # commas is recipients ("Ada Lovelace, Mobile" is two mistakes to show, not headings).
        cells = line.split("\t") if "\t" in line else [] if _SEPARATORS.search(line) else [line]
        heading = heading_columns(cells) if cells else None
        if heading is not None:
            columns = heading if "\t" in line else None
            continue
        row = None
        if "\t" in line and columns is not None:
            read = read_by_columns(cells, columns)
            address = read["email"] or read["phone"]
            row = (address, _plain_name(read["name"])) if address else None
        if row is None and "\t" in line:
            row = address_and_name(line.split("\t"))
        if row is not None:
            address, name = row
            out.append(f"{name} <{address}>" if name and name_and_address(address) is None else address)
            continue
        out.extend(part.strip() for part in _separated(line.replace("\t", ",")) if part.strip())
    return out


def _separated(line: str) -> list[str]:
    """``line`` split at its commas and semicolons, except inside double quotes or ``<…>``: an
    address book's ``"Smith, John" <john@example.com>`` is one recipient (a quote or bracket
    never closed protects nothing)."""
    parts, start, quoted, angled = [], 0, False, False
    for index, char in enumerate(line):
        if char == '"' and not angled:
            quoted = not quoted
        elif char == "<" and not quoted:
            angled = True
        elif char == ">" and not quoted:
            angled = False
        elif char in ",;" and not quoted and not angled:
            parts.append(line[start:index])
            start = index + 1
    if quoted or angled:  # a quote or bracket left open: split as if it were not there
        return _SEPARATORS.split(line)
    parts.append(line[start:])
    return parts


# ---- email domains (an invite link's allowed domains, an HR connection's) ----------------------


def normalize_domain(raw: str) -> str:
    """``ACME.com`` → ``acme.com``; ``Bücher.de`` → ``xn--bcher-kva.de``; refuses wildcards."""
    value = (raw or "").strip().lstrip("@").strip().lower()
    if not value:
        raise InvalidInput("A domain is empty.", field="allowed_domains")
    shown = f"“{(raw or '').strip()}”"
    if "*" in value or "@" in value or " " in value:
        raise InvalidInput(
            f"{shown} is not a domain. List each domain exactly (acme.com); subdomains are "
            "only allowed when listed (eu.acme.com).",
            field="allowed_domains",
        )
    domain, error = _check_domain(value)  # as an address's domain is checked (``normalize_email``)
    fixed = _domain_typo(domain) if domain else None
    if domain is None or fixed:
        why = _of_a_domain(error or "") if domain is None else f"it looks mistyped. Did you mean {fixed}?"
        raise InvalidInput(f"{shown} is not a valid email domain: {why}", field="allowed_domains")
    return domain


def normalize_domains(raws: Iterable[str], checks: Checks, *, blanks: bool = True) -> list[str]:
    """Each of a list of allowed domains normalised (``normalize_domain``), in order, each once;
    every one refused is noted in ``checks`` by its place in the list (``allowed_domains.2``, as
    any list's entry is named), not only the first (an invite link's, an HR connection's).
    ``blanks``: a blank entry is refused, else left out (still counted in the places)."""
    domains: list[str] = []
    for position, raw in enumerate(raws):
        if not blanks and not (raw or "").strip():
            continue
        with checks.of(f"allowed_domains.{position}", renamed=True):
            domain = normalize_domain(raw)
            if domain not in domains:
                domains.append(domain)
    return domains


# Why email-validator refuses a domain, in our words: it words them for a whole address ("An
# email address cannot…", "The part after the @-sign…"). Each follows a colon: lower case.
_DOMAIN_FAULTS = (
    ("two periods in a row", "it has two periods in a row."),
    ("period immediately after the @-sign", "it starts with a period."),
    ("hyphen immediately after the @-sign", "it starts with a hyphen."),
    ("end with a period", "it ends with a period."),
    ("end with a hyphen", "it ends with a hyphen."),
    ("a period and a hyphen next to each other", "it has a period and a hyphen side by side."),
    ("two dashes", "only Punycode (xn--) has two hyphens after its first two letters."),
    ("should have a period", "it needs a period and an ending, as in acme.com."),
    ("top-level domain", "it does not end in a top-level domain (.com, .de, …)."),
    ("periods cannot be separated by so many", "a part between its periods is too long."),
    ("too long", "it is too long."),
    ("name kept for tests", "it is a name kept for tests and examples, and no mail reaches it."),
)
_BAD_CHARACTERS = re.compile(r"invalid characters: (.+)\.$")


def _of_a_domain(error: str) -> str:
    """Why a domain is not one (``_check_domain``'s reason), in the product's words."""
    bad = _BAD_CHARACTERS.search(error)
    if bad:
        chars = [c.strip().strip("'\"") for c in bad.group(1).split(", ")]
        shown = ", ".join(f"“{c}”" for c in chars)
        return f"it has {'a character' if len(chars) == 1 else 'characters'} no domain has: {shown}."
    for said, words in _DOMAIN_FAULTS:
        if said in error:
            return words
    return "no email can be sent to a domain written so."


def domain_allowed(email: str, allowed: list[str] | None) -> bool:
    """Exact match of the normalised (IDNA, lowercase) domain; no list means any domain."""
    if not allowed:
        return True
    return email.rpartition("@")[2] in set(allowed)
