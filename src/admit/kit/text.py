"""Small helpers for the sentences Admit writes around names people chose."""

from __future__ import annotations

__all__ = ["sentence"]


def sentence(text: str) -> str:
    """``text`` ended with a full stop, unless it already ends with one (or with ! or ?): a
    portal named "Acme Inc." gives "… in Acme Inc.", never "Acme Inc.."."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."
