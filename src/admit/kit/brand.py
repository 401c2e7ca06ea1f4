"""A brand as pages and emails draw it: a name, an optional logo and an accent colour, with the
text and link colours that read with it (``kit.colour``). ``portals.brand`` builds one for a
portal; the email renderer builds one from a message's context."""

from __future__ import annotations

from dataclasses import dataclass

from admit.kit import colour

__all__ = ["DEFAULT_COLOR", "Brand"]

DEFAULT_COLOR = "#4f46e5"  # the pages' and emails' own indigo (admit.css's --accent)
DEFAULT_LINK = "#3730a3"  # links when the brand colour is too pale to read on white


@dataclass(frozen=True, slots=True)
class Brand:
    """``color`` is the accent (the default indigo when none was set; ``custom`` says whether one
    was), ``text_color`` the text on a button of it, ``link_color`` links on white,
    ``edge_color`` a button's outline (visible on white even when the colour is pale)."""

    name: str
    logo_url: str | None
    color: str
    text_color: str
    link_color: str
    edge_color: str
    custom: bool

    @classmethod
    def build(cls, *, name: str, logo_url: str | None = None, color: str | None = None) -> Brand:
        custom = bool(color) and colour.is_hex(str(color))
        accent = str(color) if custom else DEFAULT_COLOR
        return cls(
            name=name,
            logo_url=logo_url or None,
            color=accent,
            text_color=colour.text_on(accent),
            link_color=colour.link_colour(accent, fallback=DEFAULT_LINK),
            edge_color=colour.edge_colour(accent),
            custom=custom,
        )
