"""Pages render the same domain errors as an error page (and sign-in redirects)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse

from admit.errors import DomainError, NotAuthenticated
from admit.pages.deps import LoginRedirect, render

TOKEN_PAGES = ("/invite/", "/login/link/", "/join/", "/confirm/")


def error_page(request: Request, exc: DomainError):
    if isinstance(exc, NotAuthenticated):
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    headers = {"Referrer-Policy": "no-referrer"} if request.url.path.startswith(TOKEN_PAGES) else None
    return render(
        request,
        "error.html",
        {"title": exc.title, "message": exc.message, "code": exc.code},
        status_code=exc.status,
        headers=headers,
        bare=True,
    )


async def handle_login_redirect(request: Request, exc: LoginRedirect):  # noqa: ARG001
    return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)
