"""Small helpers for the sentences Admit writes around names people chose."""

from __future__ import annotations

import math

__all__ = ["full_stop", "sentence", "wait_in_words"]


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
