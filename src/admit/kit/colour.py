"""Colours for a portal's brand: a ``#rrggbb`` value, and which text reads on it.

Contrast is WCAG 2.x's: relative luminance of each colour, then ``(L1 + 0.05) / (L2 + 0.05)``
(https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio). 4.5:1 is the bar for normal text.
"""

from __future__ import annotations

import functools
import re

__all__ = [
    "DARK_TEXT",
    "LIGHT_TEXT",
    "READABLE",
    "VISIBLE",
    "contrast",
    "edge_colour",
    "expand",
    "is_hex",
    "link_colour",
    "luminance",
    "text_on",
]

_HEX = re.compile(r"#[0-9a-f]{6}")
LIGHT_TEXT = "#ffffff"
DARK_TEXT = "#111827"  # near-black: the pages' darkest text colour
READABLE = 4.5  # WCAG AA, normal text
VISIBLE = 1.5  # a button's edge against the white page: below it the button fades into the page
_SHORT_HEX = re.compile(r"#?([0-9a-f])([0-9a-f])([0-9a-f])")


def is_hex(value: str) -> bool:
    """Whether ``value`` is a colour written ``#rrggbb`` (lower case: callers normalise)."""
    return _HEX.fullmatch(value) is not None


@functools.lru_cache(maxsize=1024)
def luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``: 0 for black, 1 for white. Cached: every email of
    a portal asks it of the same few colours."""
    if not is_hex(colour.lower()):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")

    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two colours, from 1 (none) to 21 (black on white)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(background: str) -> str:
    """The text colour for a button of ``background``: white or near-black, whichever contrasts
    more (a yellow button gets dark text, a navy one white)."""
    return LIGHT_TEXT if contrast(background, LIGHT_TEXT) >= contrast(background, DARK_TEXT) else DARK_TEXT


def link_colour(colour: str, *, fallback: str) -> str:
    """``colour`` for links on a white background when it reads there (``READABLE``), else
    ``fallback``: a pale brand colour still fills buttons but does not make links unreadable."""
    return colour if contrast(colour, LIGHT_TEXT) >= READABLE else fallback


def expand(value: str) -> str:
    """``#abc`` → ``#aabbcc`` and ``1d4ed8`` → ``#1d4ed8`` (lower case), as people type colours;
    anything else comes back lower-cased for ``is_hex`` to judge."""
    value = value.strip().lower()
    short = _SHORT_HEX.fullmatch(value)
    if short:
        return "#" + "".join(c * 2 for c in short.groups())
    if re.fullmatch(r"[0-9a-f]{6}", value):
        return f"#{value}"
    return value


def edge_colour(colour: str) -> str:
    """The edge of a button filled with ``colour``: the colour itself when it stands out from
    the white page (``VISIBLE``), else the same hue darkened until it does (a pale yellow or
    mint button keeps a visible outline)."""
    shade = colour
    while contrast(shade, LIGHT_TEXT) < VISIBLE:
        shade = "#" + "".join(f"{int(int(shade[i : i + 2], 16) * 0.9):02x}" for i in (1, 3, 5))
    return shade
