"""Small helpers for the sentences Admit writes around names people chose."""

from __future__ import annotations

import functools
import math
import re
import unicodedata
import zoneinfo
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar, overload

import phonenumbers

from admit.kit import clock

__all__ = [
    "accented_letter",
    "as_typed",
    "listed",
    "day_text",
    "full_stop",
    "is_phone",
    "lifetime_in_words",
    "moment_text",
    "readable_phone",
    "sentence",
    "short_moment",
    "zone_text",
    "wait_in_words",
    "and_list",
    "country_name",
]


def as_typed(text: str, limit: int = 40) -> str:
    """What someone typed, to quote back in a refusal ("“…” is not a time zone"): at most
    ``limit`` characters, cut with "…", so a refusal never echoes a whole request body."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def accented_letter(text: str) -> tuple[str, str] | None:
    """The first letter of ``text`` written with an accent, and its plain form: ``("é", "e")``
    for "José", ``("Ó", "O")`` for "Ólá"; None when it has none. A search matches letters as
    written, so that plain form is what such a query does not find ("Jose")."""
    for letter in text:
        parts = unicodedata.normalize("NFD", letter)
        if len(parts) > 1 and parts[0].isalpha() and all(unicodedata.combining(m) for m in parts[1:]):
            return letter, parts[0]
    return None


def full_stop(text: str) -> str:
    """The full stop a sentence ending with ``text`` still needs: none when it ends with one
    (or with !, ? or …). For a name set apart from its full stop (``<strong>Acme Inc.</strong>``)."""
    return "" if text.rstrip().endswith((".", "!", "?", "…")) else "."


def sentence(text: str) -> str:
    """``text`` ended with a full stop, unless it already ends with one (or with ! or ?): a
    portal named "Acme Inc." gives "… in Acme Inc.", never "Acme Inc.."."""
    text = text.rstrip()
    return text + full_stop(text)


def wait_in_words(seconds: int) -> str:
    """A wait as people say it, never shorter than it is: "40 seconds", "1 minute", "2 minutes"
    (for 61 seconds: whoever waits what it says is not refused again), "3 hours"."""
    if seconds < 60:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    if seconds <= 5400:
        minutes = math.ceil(seconds / 60)
        return f"{minutes} minute{'' if minutes == 1 else 's'}"
    return f"{math.ceil(seconds / 3600)} hours"


def lifetime_in_words(minutes: int) -> str:
    """How long a link lives, as people say it and exactly: "15 minutes", "1 hour", "90
    minutes", "7 days" (a link's lifetime is whole minutes; never rounded, unlike a wait)."""
    for size, unit in ((1440, "day"), (60, "hour")):
        if minutes >= size and minutes % size == 0:
            n = minutes // size
            return f"{n} {unit}{'' if n == 1 else 's'}"
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


def _in_zone(moment: datetime, zone: str | None) -> tuple[datetime, str]:
    """``moment`` in the IANA time zone ``zone`` (UTC when none, or unknown), and its short name
    there ("CET", "UTC"; a zone with no name is told by its offset, "+0530")."""
    tz = clock.zone(zone)
    local = moment.astimezone(tz)
    if tz is UTC:
        return local, "UTC"
    name = local.tzname() or ""
    return local, name if name and name[0] not in "+-" else local.strftime("UTC%z")


def zone_text(zone: str | None, at: datetime) -> str:
    """A time zone as people read it, as it is at ``at``: its place and short name, "Honolulu
    time (HST)", "New York time (EST)"; "UTC" for UTC (or none, or one not known)."""
    _local, name = _in_zone(at, zone)
    if zone is None or clock.zone(zone) is UTC:
        return "UTC"
    place = zone.rsplit("/", 1)[-1].replace("_", " ")
    return f"{place} time ({name})"


def and_list(items: Sequence[str]) -> str:
    """Items as a sentence lists them: "a", "a and b", "a, b and c"."""
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else "".join(items)


def country_name(code: str) -> str:
    """A country (its ISO 3166 code, which Settings takes) as a sentence says it ("numbers in
    …"): "Germany", "the United Kingdom", "South Korea", "the Cayman Islands". The tz database's
    ``iso3166.tab`` names most (its short names, "&" said "and"); those that read as no
    country mid-sentence ("Britain (UK)", "Korea (South)") are said as people say them
    (``_SAID``), with "the" where English puts it; the code alone where it names none."""
    code = code.upper()
    name = _SAID.get(code) or _country_names().get(code, "").replace(" & ", " and ")
    if not name:
        return code
    if not name.startswith("the ") and (name in _WITH_THE or name.endswith(_ENDS_WITH_THE)):
        return f"the {name}"
    return name


# iso3166.tab's short names that do not read as a country in a sentence: as people say them.
_SAID = {
    "AC": "Ascension Island",  # AC, TA and XK: phone regions iso3166.tab does not list
    "AS": "American Samoa",
    "BL": "Saint Barthélemy",
    "BQ": "the Caribbean Netherlands",
    "CD": "the Democratic Republic of the Congo",
    "CF": "the Central African Republic",
    "CG": "the Republic of the Congo",
    "GB": "the United Kingdom",
    "GS": "South Georgia and the South Sandwich Islands",
    "HM": "Heard Island and McDonald Islands",
    "KN": "Saint Kitts and Nevis",
    "KP": "North Korea",
    "KR": "South Korea",
    "LC": "Saint Lucia",
    "MF": "Saint Martin",
    "MM": "Myanmar",
    "PM": "Saint Pierre and Miquelon",
    "SH": "Saint Helena",
    "ST": "São Tomé and Príncipe",
    "SX": "Sint Maarten",
    "SZ": "Eswatini",
    "TA": "Tristan da Cunha",
    "TC": "the Turks and Caicos Islands",
    "TF": "the French Southern Territories",
    "UM": "the United States Minor Outlying Islands",
    "US": "the United States",  # here even without iso3166.tab: the default phone region's
    "VC": "Saint Vincent and the Grenadines",
    "VG": "the British Virgin Islands",
    "VI": "the United States Virgin Islands",
    "WS": "Samoa",
    "XK": "Kosovo",
}
# Names English says with "the" ("numbers in the Netherlands"), besides those ending so.
_WITH_THE = frozenset(
    {
        "Bahamas",
        "Comoros",
        "Gambia",
        "Isle of Man",
        "Maldives",
        "Netherlands",
        "Philippines",
        "Seychelles",
        "United Arab Emirates",
        "British Indian Ocean Territory",
    }
)
_ENDS_WITH_THE = (" Islands", " Republic")


@functools.cache
def _country_names() -> dict[str, str]:
    """Countries' English names by code, from the tz database's ``iso3166.tab`` (where
    ``zoneinfo`` finds the time zones: its ``TZPATH``). Not phonenumbers' geocoder, which has
    them too but loads every number prefix's places with them (~100 MB a process)."""
    for folder in zoneinfo.TZPATH:
        try:
            lines = (Path(folder) / "iso3166.tab").read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        return dict(
            line.split("\t", 1) for line in lines if line and not line.startswith("#") and "\t" in line
        )
    return {}


def day_text(day: date | datetime, zone: str | None = None) -> str:
    """A day as Admit writes it for people: "6 December 2026" (no leading zero). A moment is
    first taken to its day in the time zone ``zone`` (UTC by default); a date is that day."""
    if isinstance(day, datetime):
        day, _name = _in_zone(day, zone)
    return _written(day)


def _written(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def moment_text(moment: datetime, zone: str | None = None) -> str:
    """A moment as an email writes it, in the portal's time zone ``zone`` (UTC by default):
    "6 December 2026 at 10:05 CET" (its day written as ``day_text`` writes one: the day there)."""
    local, name = _in_zone(moment, zone)
    return f"{_written(local)} at {local:%H:%M} {name}"


def short_moment(moment: datetime | str, zone: str | None = None) -> str:
    """A moment as a text message writes it, short, in ``zone`` (UTC by default): "6 Dec 10:05
    CET". ``moment`` may be its ISO 8601 text (as a message's context keeps it)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    local, name = _in_zone(moment, zone)
    return f"{local.day} {local:%b %H:%M} {name}"


def is_phone(address: str) -> bool:
    """Whether a stored recipient is a phone number (E.164) rather than an email address (which
    may begin with a "+" too: ``+x@client.org``)."""
    return address.startswith("+") and "@" not in address


_T = TypeVar("_T")


@overload
def readable_phone(value: str) -> str: ...
@overload
def readable_phone(value: _T) -> _T: ...
def readable_phone(value: object) -> object:
    """An address as people read it: an E.164 number spaced ("+12025550173" → "+1 202-555-0173"),
    an email address's internationalised domain in its own letters ("zoë@xn--exmple-cua.com" →
    "zoë@exämple.com"); anything else (None, text that does not parse) unchanged."""
    if isinstance(value, str) and "@" in value and "xn--" in value:
        local, _, domain = value.rpartition("@")
        try:
            return f"{local}@{domain.encode('ascii').decode('idna')}"
        except UnicodeError:
            return value
    if not isinstance(value, str) or not is_phone(value):
        return value
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_possible_number(number):
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def listed(text: str | None) -> list[str]:
    """The entries of a typed list, one a line or separated by commas ("acme.com, acme.co.uk"),
    each stripped, empty ones left out. A space is no separator: "ex ample.com" is one entry
    (which its check refuses as it is), not "ex" and "ample.com"."""
    return [part.strip() for part in re.split(r"[,\r\n]", text or "") if part.strip()]
