"""When an invitation's reminders fall due (``invitations.reminders`` says how they are sent)."""

from __future__ import annotations

from datetime import datetime

__all__ = ["reminder_at"]


def reminder_at(sent_at: datetime, expires_at: datetime, number: int, planned: int) -> datetime | None:
    """When reminder ``number`` (1-based) of ``planned`` falls due for an invitation sent at
    ``sent_at`` that expires at ``expires_at``: evenly spread over its lifetime (with two, one
    third and two thirds of the way; with one, half way). None when there is no such reminder."""
    if planned <= 0 or not 1 <= number <= planned:
        return None
    return sent_at + (expires_at - sent_at) * number / (planned + 1)
