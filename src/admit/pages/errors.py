"""Pages render the same domain errors as an error page (and sign-in redirects); ``/errors``
documents the vocabulary, and an API problem's ``type`` points into it."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup, escape
from starlette.routing import Match

from admit.errors import DOCS_PATH, LITERAL, DomainError, ErrorCode, NotAuthenticated, documented, meaning_of
from admit.kit.routing import Router
from admit.pages.deps import (
    SECRET_LINK_PREFIXES,
    Answered,
    LoginRedirect,
    PageAuth,
    StepsRedirect,
    redirect,
    render,
    safe_next,
    say,
)
from admit.portals import service as portals_service
from admit.portals.models import Portal
from admit.web import SessionDep, ours

router = Router()


def _meaning(cls: type[DomainError]) -> Markup:
    """What a code means (``errors.meaning_of``), as HTML: its ``literal`` parts as code."""
    return Markup(LITERAL.sub(r"<code>\1</code>", str(escape(meaning_of(cls)))))


@router.get(DOCS_PATH, name="errors:list")
def error_codes(request: Request, auth: PageAuth) -> HTMLResponse:
    """Every error code with its status, title and meaning; ``#<code>`` is a problem's ``type``."""
    rows = [
        {"code": cls.code, "status": cls.status, "title": cls.title, "meaning": _meaning(cls)}
        for cls in documented()
    ]
    return render(request, "errors/list.html", {"rows": rows})


def secret_link_gone(
    request: Request,
    session: SessionDep,
    auth: PageAuth,  # noqa: ARG001 - signs the page in
    portal: str = "",
) -> HTMLResponse:
    """A secret link's page reloaded after its token left the address bar (``secret_path_of``),
    in the look of the portal that page wore (``portal``, which the address kept: ``render``)."""
    worn = portals_service.get_by_slug(session, portal) if portal else None
    return render(request, "errors/secret_link.html", {"brand_portal": worn} if worn is not None else {})


for _prefix in SECRET_LINK_PREFIXES:
    if _prefix != "/join/":  # an invite link's page come back to shows its form (``pages.links``)
        router.add_api_route(_prefix.rstrip("/"), secret_link_gone, methods=["GET"], include_in_schema=False)


def error_page(request: Request, exc: DomainError) -> Response:
    if isinstance(exc, NotAuthenticated):
        return to_sign_in(request, request.url.path)
    said = _said(exc)
    auth = getattr(request.state, "auth", None)
    if (
        exc.code == ErrorCode.MEMBER_DEACTIVATED
        and auth is not None
        and auth.web_session is not None
        and not getattr(request.state, "other_portals", False)
    ):
        # Signed in, in no other portal: the start page would lead back here.
        said["sign_out"] = True
    if exc.status >= 500:
        said["brand_portal"] = None  # the database may be what failed: nothing more is asked of it
    return render(request, "error.html", said, status_code=exc.status, bare=True)


def to_the_forms_page(request: Request, *, home: str | None = None) -> RedirectResponse:
    """A page's address that only takes a form, opened with GET: a refused form's page reloaded
    (it was shown at the address the form was sent to, and ``data-posted`` made that entry a
    GET), or the address pasted or bookmarked. Rather than "Page not found" (405), a 303 to the
    page the form was on: the one the browser says it came from (``Referer``: a page of this
    site other than this address), else ``home`` when the form's page is not above its address
    (a team's forms are on Contacts), else the nearest page above the address
    (``/p/acme/settings/logo``: ``/p/acme/settings``), else the start page."""
    here = request.url.path
    came_from = urlsplit(request.headers.get("referer", ""))
    public_url = request.app.state.db.context.settings.public_url
    if (
        came_from.netloc
        and ours(request, came_from.netloc, public_url)
        and came_from.path != here
        and safe_next(came_from.path, "") == came_from.path
        and _opens(request, came_from.path)
    ):
        return redirect(came_from.path + (f"?{came_from.query}" if came_from.query else ""))
    if home is not None:
        return redirect(home)
    above = here.rstrip("/")
    while "/" in above.lstrip("/"):
        above = above.rsplit("/", 1)[0]
        if _opens(request, above):
            return redirect(above)
    return redirect("/")


def _opens(request: Request, path: str) -> bool:
    """Whether a page answers ``path`` (a GET route of the app takes it)."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "root_path": request.scope.get("root_path", ""),
        "headers": [],
        "query_string": b"",
    }
    return any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes)


def error_page_of(request: Request, exc: DomainError, portal: Portal) -> HTMLResponse:
    """The error page, from within a page's own request (its session still open), in the look of
    ``portal``: what a link of that portal says once it no longer works."""
    return render(
        request, "error.html", {**_said(exc), "brand_portal": portal, "portal": None}, status_code=exc.status
    )


def _said(exc: DomainError) -> dict[str, object]:
    # ``address``: a dead sign-in link's (``auth.service``), for its "Get a new sign-in link".
    return {
        "title": exc.title,
        "message": exc.message,
        "code": exc.code,
        "address": exc.fields.get("address"),
    }


async def handle_answered(request: Request, exc: Answered) -> Response:  # noqa: ARG001
    return exc.response


async def handle_steps_redirect(request: Request, exc: StepsRedirect) -> RedirectResponse:  # noqa: ARG001
    return RedirectResponse(exc.url, status_code=303)


async def handle_login_redirect(request: Request, exc: LoginRedirect) -> RedirectResponse:
    return to_sign_in(request, exc.next_path)


def to_sign_in(request: Request, next_path: str) -> RedirectResponse:
    """To the sign-in page, then back to ``next_path``. A browser that still carries a session
    cookie had a session that ended (signed out from another browser, a new password, an
    owner's reset, or it expired): the sign-in page says so, and the stale cookie goes."""
    response = redirect(f"/login?next={quote(next_path)}")
    cookie = request.app.state.db.context.settings.session_cookie_name
    if request.cookies.get(cookie):
        say(response, "You were signed out. Sign in again to go on.")
        response.delete_cookie(cookie, path="/")
    return response
