"""The dev mailbox page (emails, and SMS marked as such). Mounted only with ``ADMIT_EMAIL_BACKEND=dev``."""

from __future__ import annotations

import uuid

from fastapi import Request
from fastapi.responses import HTMLResponse

from admit.errors import InvalidInput, NotFound
from admit.kit.routing import Router
from admit.notifications import mailbox
from admit.pages.auth import at_home
from admit.pages.deps import PageAuth, page_start, pager, render
from admit.web import MAIL_PREVIEW_POLICY, MailboxReader, SessionDep, content_security_policy

router = Router()
PAGE_SIZE = 200


def _home(request: Request, session: SessionDep, auth: PageAuth) -> dict[str, object]:
    """Someone signed in reads the mailbox in their portal, as their account page: its top bar
    and the way back to it (``at_home``); this machine signed out, in none."""
    return at_home(request, session, auth.user) if auth.user is not None else {}


@router.get("/dev/mailbox", name="dev:mailbox")
def mailbox_page(
    request: Request, session: SessionDep, auth: PageAuth, scope: MailboxReader, cursor: str | None = None
) -> HTMLResponse:
    """The newest messages, a page at a time: Older and Newer links, as User Management pages
    (the JSON list's cursor)."""
    try:
        messages, next_cursor = mailbox.messages_page(session, cursor=cursor, limit=PAGE_SIZE, scope=scope)
    except InvalidInput:  # a hand-edited cursor: the newest page
        cursor = None
        messages, next_cursor = mailbox.messages_page(session, limit=PAGE_SIZE, scope=scope)
    start = page_start(request) if cursor else 1
    back = request.query_params.getlist("back")
    links = pager({}, cursor, next_cursor, start, back, size=PAGE_SIZE)
    said = {"messages": messages, "withheld": mailbox.withheld_count(session, scope), "start": start}
    return render(request, "dev/mailbox.html", {**said, **links, **_home(request, session, auth)})


@router.get("/dev/mailbox/{message_id}", name="dev:message")
def message_page(
    message_id: uuid.UUID, request: Request, session: SessionDep, auth: PageAuth, scope: MailboxReader
) -> HTMLResponse:
    message = mailbox.get(session, message_id, scope)
    if message is None:
        raise NotFound("No such message.")
    # The email's inline styles and its logo (at the public URL) in its frame: web.MAIL_PREVIEW_POLICY.
    policy = {"Content-Security-Policy": content_security_policy(request.scope, MAIL_PREVIEW_POLICY)}
    context = {"m": message, **_home(request, session, auth)}
    return render(request, "dev/message.html", context, headers=policy)
