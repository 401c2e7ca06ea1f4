"""The dev mailbox page (emails, and SMS marked as such). Mounted only with ``ADMIT_EMAIL_BACKEND=dev``."""

from __future__ import annotations

import uuid

from fastapi import Request
from fastapi.responses import HTMLResponse

from admit.errors import NotFound
from admit.kit.routing import Router
from admit.notifications import mailbox
from admit.pages.deps import PageAuth, render
from admit.web import SessionDep

router = Router()


@router.get("/dev/mailbox", name="dev:mailbox")
def mailbox_page(request: Request, session: SessionDep, auth: PageAuth) -> HTMLResponse:
    return render(request, "dev/mailbox.html", {"messages": mailbox.messages(session, limit=200)})


@router.get("/dev/mailbox/{message_id}", name="dev:message")
def message_page(
    message_id: uuid.UUID, request: Request, session: SessionDep, auth: PageAuth
) -> HTMLResponse:
    message = mailbox.get(session, message_id)
    if message is None:
        raise NotFound("No such message.")
    return render(request, "dev/message.html", {"m": message})
