"""A browser's name from its User-Agent, for a person to recognise their own sessions ("Chrome on
macOS", "Safari on iPhone"): the common browsers and systems only, by the tokens they send."""

from __future__ import annotations

UNKNOWN = "Unknown browser"

# First match wins: Edge, Opera and Samsung Internet also say Chrome, and Chrome also says Safari.
BROWSERS = (
    (("Edg/", "EdgA/", "EdgiOS/"), "Edge"),
    (("OPR/", "OPiOS/"), "Opera"),
    (("SamsungBrowser/",), "Samsung Internet"),
    (("Firefox/", "FxiOS/"), "Firefox"),
    (("Chrome/", "CriOS/"), "Chrome"),
    (("Safari/",), "Safari"),
)
# iPhones and iPads also say "Mac OS X", Android and ChromeOS also say Linux.
SYSTEMS = (
    (("iPhone",), "iPhone"),
    (("iPad",), "iPad"),
    (("Android",), "Android"),
    (("CrOS",), "ChromeOS"),
    (("Windows",), "Windows"),
    (("Macintosh", "Mac OS X"), "macOS"),
    (("Linux",), "Linux"),
)


def _first(user_agent: str, names: tuple[tuple[tuple[str, ...], str], ...]) -> str | None:
    return next((name for tokens, name in names if any(t in user_agent for t in tokens)), None)


def browser_named(user_agent: str | None) -> str:
    """ "Chrome on macOS"; "Firefox" when the system is not one of ``SYSTEMS``; ``UNKNOWN`` when
    the browser is not one of ``BROWSERS`` (a script, an app, nothing sent)."""
    browser = _first(user_agent or "", BROWSERS)
    if browser is None:
        return UNKNOWN
    system = _first(user_agent or "", SYSTEMS)
    return f"{browser} on {system}" if system else browser
