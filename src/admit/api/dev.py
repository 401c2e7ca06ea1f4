"""The dev mailbox as JSON. Mounted only with ``ADMIT_EMAIL_BACKEND=dev``."""

from __future__ import annotations

from fastapi import APIRouter

from admit.members.addresses import normalize_email
from admit.notifications import mailbox
from admit.web import SessionDep

router = APIRouter(prefix="/dev", tags=["dev"])


@router.get("/messages")
def list_messages(session: SessionDep, to: str | None = None, limit: int = 50):
    """Messages the dev backend delivered, newest first (optionally to one address)."""
    address = (normalize_email(to)[0] or to.strip().lower()) if to else None
    return {
        "items": [
            {
                "id": str(m.id),
                "to": m.to_address,
                "subject": m.subject,
                "text": m.text,
                "html": m.html,
                "sent_at": m.sent_at.isoformat(),
            }
            for m in mailbox.messages(session, to=address, limit=min(max(limit, 1), 500))
        ]
    }
