"""create_app(): the API under /api/v1, the pages, the error renderers and the in-process worker."""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from admit.kit.collector import collector_paused

# What the app is made of, imported with the collector held off: ~300,000 objects that live as
# long as the process (kit.collector); 0.3 s of every web process's start.
with collector_paused():
    from fastapi import FastAPI, Request, Response
    from fastapi.concurrency import run_in_threadpool
    from fastapi.exceptions import RequestValidationError
    from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
    from fastapi.responses import HTMLResponse, RedirectResponse
    from fastapi.staticfiles import StaticFiles
    from fastapi_offline import FastAPIOffline
    from sqlalchemy import exc as sqlalchemy_exc
    from starlette.datastructures import MutableHeaders
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from admit import __version__, api, observability, pages
    from admit.api.errors import (
        domain_error_response,
        invalid_input_of,
        problem,
        said_to,
        validation_error_response,
    )
    from admit.api.openapi import install as install_openapi
    from admit.context import Context
    from admit.db import Database
    from admit.errors import (
        DOCS_PATH,
        Busy,
        CsrfFailed,
        DomainError,
        ErrorCode,
        InternalError,
        InvalidInput,
        MethodNotAllowed,
        NotFound,
        TooLarge,
    )
    from admit.jobs import start_in_thread
    from admit.kit.logs import REQUEST_ID, RequestIds
    from admit.kit.routing import mark_templates, methods_at, template_of
    from admit.kit.tokens import HideTokens
    from admit.pages.deps import (
        SECRET_LINK_PREFIXES,
        Answered,
        LoginRedirect,
        StepsRedirect,
        carry_notice,
        secret_path_of,
        templates,
    )
    from admit.pages.errors import (
        error_page,
        handle_answered,
        handle_login_redirect,
        handle_steps_redirect,
        to_the_forms_page,
    )
    from admit.settings import Settings, configure, current
    from admit.web import (
        SAFE_METHODS,
        content_security_policy,
        cross_site,
        inline_scripts_allowed,
        strict_transport,
    )

log = logging.getLogger("admit")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


class SqliteTurns:
    """ASGI middleware for the embedded SQLite database: at most ``at_once`` requests are inside
    the app together; the others wait their turn here, on the event loop, holding no thread.
    SQLite runs one transaction at a time anyway, and a burst that all went in would fill the
    thread pool with requests waiting for the database while the one holding it waits for a
    thread (a 30 s stall, then 500s). One that cannot go in within ``wait_seconds`` is answered
    503 ``busy`` with Retry-After."""

    def __init__(self, app: Any, *, at_once: int = 4, wait_seconds: float = 10.0) -> None:
        self.app = app
        self.wait_seconds = wait_seconds
        self.at_once = at_once
        self._gate: asyncio.Semaphore | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(("/static/", "/healthz")):
            await self.app(scope, receive, send)
            return
        if self._gate is None:  # made on the server's event loop
            self._gate = asyncio.Semaphore(self.at_once)
        try:
            await asyncio.wait_for(self._gate.acquire(), timeout=self.wait_seconds)
        except TimeoutError:
            await _busy(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._gate.release()


def _log_failure(request: Request, event: str) -> str:
    """Log the exception being handled under the request's id (the reference a person is given),
    with the route's template (never a path: no token in it); returns the reference."""
    reference = REQUEST_ID.get()
    route = template_of(request.scope) or "-"
    log.exception("%s method=%s route=%s reference=%s", event, request.method, route, reference)
    return reference


async def _busy(scope: Any, receive: Any, send: Any) -> None:
    response = domain_error_response(Busy.serving())
    await response(scope, receive, send)


def _hide_tokens_in_logs() -> None:
    """The web server's access log names every path, emailed links included: tokens are hidden."""
    for name in ("uvicorn.access", "uvicorn.error", "admit"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, HideTokens) for f in logger.filters):
            logger.addFilter(HideTokens())


class Edge:
    """ASGI middleware for what every request passes through, in one place and without
    Starlette's ``BaseHTTPMiddleware`` (a task and a stream per request each): a body larger
    than its kind may be is refused from its Content-Length, unread; a change from another site
    is refused (``web.cross_site``); every answer carries the security headers (a page its
    Content-Security-Policy, ``web.PAGE_POLICY``; every answer Strict-Transport-Security when the
    public URL is https; a secret link's, ``holds_a_secret``, neither sends its address on nor is kept), and a
    redirect's notice rides in a signed cookie (``pages.deps.carry_notice``); each request is
    counted and timed by its route's template (``observability.count``)."""

    def __init__(self, app: Any, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.strict_transport = strict_transport(settings.public_url)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request = Request(scope)
        status = 500
        signed_in = self.settings.session_cookie_name in request.cookies
        refusal: DomainError | None = None

        answering = False

        async def send_with_headers(message: Any) -> None:
            nonlocal status, answering
            if message["type"] == "http.response.start":
                status, answering = message["status"], True
                headers = MutableHeaders(scope=message)
                carry_notice(request, headers)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                # Signed-in pages must not be kept by the browser (the back button after sign-out).
                if signed_in and not scope["path"].startswith("/static"):
                    headers.setdefault("Cache-Control", "no-store")
                headers.setdefault("X-Frame-Options", "DENY")
                # A page's policy (web.PAGE_POLICY); a route that needs another sets its own (the
                # dev mailbox's email, a logo). JSON, CSS and scripts run nothing that needs one.
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", content_security_policy(scope))
                if self.strict_transport is not None:
                    headers.setdefault("Strict-Transport-Security", self.strict_transport)
                if refusal is not None or holds_a_secret(scope):  # a refusal comes before routing
                    headers.update({"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"})
                # How long the app took to answer (its headers; a JSON body is made by then),
                # from here, inside SQLite's turns: a browser's developer tools show it,
                # bench/roster.py reads it.
                headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
            await send(message)

        try:
            refusal = self._refusal(request)
            if (
                refusal is None
                and "content-length" not in request.headers
                and request.method not in SAFE_METHODS
            ):
                # A body sent in chunks has no length to refuse it by: read here, up to the cap
                # (what the route would hold anyway), then handed on as it came.
                receive, refusal = await self._chunked(request, receive)
            if refusal is None:
                try:
                    await self.app(scope, receive, send_with_headers)
                except Exception:
                    if answering:  # part of the answer went: nothing else can be said
                        _log_failure(request, "request.failed_while_answering")
                        raise
                    await (await self._failed(request))(scope, receive, send_with_headers)
            else:
                response: Response = (
                    domain_error_response(refusal)
                    if _is_api(request)
                    else await run_in_threadpool(error_page, request, refusal)
                )
                await response(scope, receive, send_with_headers)
        finally:
            observability.count(scope, request.method, status, time.perf_counter() - started)

    async def _failed(self, request: Request) -> Response:
        """The answer to a request that failed inside Admit (a bug): ``internal_error`` (500),
        problem+json under /api, the error page elsewhere, naming only a reference to the log
        line that has the traceback (the request's id). Here rather than in an
        ``exception_handler(Exception)``: Starlette gives that one to its ServerErrorMiddleware,
        outside every middleware of ours, so its answer would carry neither the request id nor
        the security headers, and its log line no request id."""
        reference = _log_failure(request, "request.failed")
        error = InternalError(
            f"Something went wrong inside Admit (reference {reference}). Try again; if it goes on, "
            "give the reference to whoever runs Admit: it is in the server's log."
        )
        if _is_api(request):
            return domain_error_response(error)
        try:
            return await run_in_threadpool(error_page, request, error)
        except Exception:  # the page itself failed (its templates, the database it reads)
            log.exception("request.error_page_failed reference=%s", reference)
            return HTMLResponse(f"<!doctype html><title>{error.title}</title><p>{error.message}</p>", 500)

    def _cap(self, request: Request) -> int:
        """The most bytes a request's body may hold: an uploaded list's, or any other body's."""
        kind = request.headers.get("content-type", "")
        upload = kind.startswith(("multipart/form-data", "text/csv", "text/plain", "application/octet"))
        return self.settings.import_max_bytes + 1024 * 1024 if upload else self.settings.max_body_bytes

    @staticmethod
    def _too_large(cap: int) -> TooLarge:
        return TooLarge(f"The request is larger than {cap // (1024 * 1024)} MB, the most Admit takes here.")

    async def _chunked(self, request: Request, receive: Any) -> tuple[Any, DomainError | None]:
        """A body with no Content-Length, counted as it comes: refused once past the cap (nothing
        more is read), else handed on whole to the app as one message."""
        cap, parts, seen = self._cap(request), [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return receive, None  # the client went away: the app hears it as it would have
            parts.append(message.get("body", b""))
            seen += len(parts[-1])
            if seen > cap:
                return receive, self._too_large(cap)
            if not message.get("more_body", False):
                break
        body, given = b"".join(parts), False

        async def replay() -> Any:
            nonlocal given
            if given:
                return await receive()  # after the body: a disconnect, as the server says it
            given = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay, None

    def _refusal(self, request: Request) -> DomainError | None:
        # A body larger than its kind may be is refused from its Content-Length, unread.
        declared = request.headers.get("content-length", "")
        if declared.isdigit():
            cap = self._cap(request)
            if int(declared) > cap:
                return self._too_large(cap)
        # A NUL character is not text any database keeps (PostgreSQL refuses it): named, not a 500.
        for key, value in request.query_params.multi_items():
            if "\x00" in key or "\x00" in value:
                return InvalidInput(f"{key.replace(chr(0), '')}: a NUL character is not allowed.", field=key)
        # Every change (API and pages, signed in or not) comes from Admit's own pages or from a
        # client that is not a browser: web.cross_site says which.
        if request.method not in SAFE_METHODS and cross_site(request, self.settings.public_url):
            return CsrfFailed("This request came from another site. Open Admit itself and try again.")
        return None


def holds_a_secret(scope: Any) -> bool:
    """A request whose address holds a secret (an invitation's, a link's, a sign-in link's token:
    every route with ``{token}`` in its path, and the pages' secret-link paths a route did not
    match): its answer, redirects and errors too, must not pass the address on to the next site
    (``Referrer-Policy``) nor be kept by the browser or a proxy (``Cache-Control``)."""
    template = getattr(scope.get("route"), "path", "")
    if "{token}" in template or scope["path"].startswith(SECRET_LINK_PREFIXES):
        return True
    # A page that leads to one once done (the sign-in page's ``next``, "Sign in to accept").
    query = scope.get("query_string", b"")
    return bool(query) and any(
        secret_path_of(value) for value in parse_qs(query.decode("latin-1")).get("next", ())
    )


# Python's youngest generation is collected every 700 objects made and not yet freed (its
# default): a User Management page made ~2 such collections, and every ~100 pages a full one of
# the ~25 ms kind, paid by whichever request was running. Collected every 10,000 instead: at 8
# connections the page's CPU fell ~8% (7.5 -> 7.0 ms) and its p99 from 79-108 ms to 60-64 ms
# (bench/pages.py, SQLite, runs taken in turn). Cycles wait a little longer to be freed.
YOUNGEST_GENERATION_THRESHOLD = 10_000


def _api_reference(app: FastAPI) -> None:
    """The API reference (Swagger UI over the app's document, its assets fastapi-offline's own
    copy: nothing from a CDN) and its OAuth2 redirect page. Each starts with a script of its own
    inline, which a page's policy (``web.PAGE_POLICY``: no inline script) would stop: a blank
    page. Each answer's policy lets in exactly that script, by its hash."""

    def allowing_its_script(page: HTMLResponse) -> HTMLResponse:
        page.headers["Content-Security-Policy"] = inline_scripts_allowed(bytes(page.body).decode())
        return page

    @app.get(API_DOCS_URL, include_in_schema=False)
    async def api_reference() -> HTMLResponse:
        return allowing_its_script(
            get_swagger_ui_html(
                openapi_url=OPENAPI_URL,
                title=f"{app.title} - Swagger UI",
                oauth2_redirect_url=API_DOCS_OAUTH2_URL,
                swagger_js_url=f"{API_DOCS_ASSETS_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{API_DOCS_ASSETS_URL}/swagger-ui.css",
                swagger_favicon_url="/static/favicon.svg",
                swagger_ui_parameters=app.swagger_ui_parameters,
            )
        )

    @app.get(API_DOCS_OAUTH2_URL, include_in_schema=False)
    async def api_reference_oauth2_redirect() -> HTMLResponse:
        return allowing_its_script(get_swagger_ui_oauth2_redirect_html())


def _build_what_first_requests_would(app: FastAPI) -> None:
    """Once per process, before it serves: what its first requests would otherwise build, each
    paying for it: FastAPI's per-route state (~0.3 s), which it builds on the first match or
    ``url_for`` (asking for a name no route has walks every route), and the templates every
    page extends or most forms import, and the hash an unknown address's password is checked
    against (``passwords.dummy_hash``: the first sign-in would take twice as long otherwise). The
    other templates are compiled on first use (~5 ms each; all 47 take ~0.35 s, more than most
    processes would ever spend on them)."""
    from starlette.routing import NoMatchFound

    from admit.members import passwords

    with suppress(NoMatchFound):
        app.url_path_for("\0 no route has this name")
    for shared in ("base.html", "_fields.html"):  # every page extends one; most forms import the other
        templates.env.get_template(shared)
    passwords.dummy_hash()


def _freeze_what_was_built() -> None:
    """Once per process, as it starts serving: the objects built so far (modules, routes, the
    ORM's mappings: ~300,000) are set aside from Python's garbage collector, which otherwise
    walks them all in each full collection: ~190 ms, paid by whichever request triggers it
    (bench/roster.py's p99 went from ~210 ms to ~70 ms). What requests make is collected as
    ever, less often (``YOUNGEST_GENERATION_THRESHOLD``)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST_GENERATION_THRESHOLD, older, oldest)


class LazyApp:
    """An ASGI app built by ``build`` (in a worker thread, once) when its first request comes:
    for a part most processes never serve, whose import is a noticeable share of every start."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._app: Any = None
        self._building = asyncio.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._app is None:
            async with self._building:
                if self._app is None:
                    self._app = await run_in_threadpool(self._build)
        await self._app(scope, receive, send)


def _build_scim(db: Database) -> Any:
    from admit.api import scim

    return scim.build_app(db)


# An unknown address or a wrong method, said on a page (the API keeps the protocol's words).
PAGE_WORDS = {
    404: (
        "Page not found",
        "There is no page at this address. Check the link, or start again from the start page.",
    ),
    405: ("Page not found", "This address cannot be opened like that. Start again from the start page."),
}


API_DOCS_URL = "/api/docs"
API_DOCS_ASSETS_URL = f"{API_DOCS_URL}/assets"
API_DOCS_OAUTH2_URL = f"{API_DOCS_URL}/oauth2-redirect"
OPENAPI_URL = "/api/v1/openapi.json"


def _api_http_error(request: Request, exc: StarletteHTTPException, code: ErrorCode) -> Response:
    """An unknown address or a wrong method of the API, as a problem in Admit's words and titles
    (its 404 is titled as every 404 is); a 405 names with ``Allow`` every method the address
    takes, each of its operations' (Starlette's named one route's)."""
    if exc.status_code == 404:
        return domain_error_response(
            NotFound(f"The API has no operation at this address; {API_DOCS_URL} lists them.")
        )
    if exc.status_code == 405:
        allowed = ", ".join(sorted(methods_at(request.app.router.routes, request.url.path)))
        refused = MethodNotAllowed(f"This address does not take {request.method}: it takes {allowed}.")
        response = domain_error_response(refused)
        response.headers["Allow"] = allowed
        return response
    return problem(exc.status_code, code=code, title=str(exc.detail), detail=str(exc.detail))


def _moved_to(url: str) -> Callable[[], RedirectResponse]:
    def moved() -> RedirectResponse:
        return RedirectResponse(url, status_code=308)

    return moved


@collector_paused()  # building it makes objects that live on, as importing it does
def create_app(
    settings: Settings | None = None, *, db: Database | None = None, run_worker: bool | None = None
) -> FastAPI:
    settings = configure(settings or current())
    _hide_tokens_in_logs()
    db = db or Database(settings.database_url, context=None, **settings.pool_options)
    if db.context is None:
        db.context = Context.build(settings)
    start_worker = settings.run_worker_in_web if run_worker is None else run_worker

    prepared = False

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal prepared
        if not prepared:  # once per app: a test client starts its lifespan once per test
            _build_what_first_requests_would(app)
            _freeze_what_was_built()
            prepared = True
        worker = start_in_thread(db, settings) if start_worker else None
        try:
            yield
        finally:
            if worker is not None:
                thread, stop = worker
                stop.set()
                thread.join(timeout=10)

    # The API reference at /api/docs is Swagger UI served from fastapi-offline's own copy of its
    # assets (Admit works offline: nothing comes from a CDN), over /api/v1/openapi.json.
    app = FastAPIOffline(
        docs_url=None,  # served below (_api_reference), with a policy that lets its script run
        redoc_url=None,
        static_url=API_DOCS_ASSETS_URL,
        swagger_ui_oauth2_redirect_url=API_DOCS_OAUTH2_URL,
        title="Admit",
        version=__version__,
        description=(
            "Invite people into a portal, by email, and let them join.\n\n"
            "Every error is `application/problem+json` with a `code` from a closed list; each "
            f"operation lists the codes it can answer, and [{DOCS_PATH}]({DOCS_PATH}) says what each means."
        ),
        lifespan=lifespan,
        openapi_url=OPENAPI_URL,
    )
    app.state.db = db
    install_openapi(app, session_cookie=settings.session_cookie_name)
    _api_reference(app)
    dev_mailbox = settings.email_backend == "dev"
    # SCIM 2.0 for directories (Okta, Entra ID): its own app, so its errors are SCIM's, built
    # on its first request (its models cost ~0.4 s of every start: LazyApp).
    app.mount("/scim/v2", LazyApp(functools.partial(_build_scim, db)))
    api.include_in(app, dev_mailbox=dev_mailbox)
    # Pages' templates are read again when their files change only while developing (checking
    # every template's file at every render is time a request waits for).
    templates.env.auto_reload = settings.environment == "development"
    pages.include_in(app, dev_mailbox=dev_mailbox)
    app.include_router(observability.router)

    # Where API documents usually are (FastAPI's defaults): a permanent redirect to Admit's own
    # (the API reference and its OpenAPI document, beside the API they describe).
    for common, own in (
        ("/docs", API_DOCS_URL),
        ("/api/v1/docs", API_DOCS_URL),
        ("/openapi.json", OPENAPI_URL),
    ):
        # HEAD as GET (FastAPI routes only the methods given: it was 405, said as a 303 to "/").
        app.add_api_route(common, _moved_to(own), methods=["GET", "HEAD"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=str(Path(pages.__file__).parent / "static")), name="static")

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> Response:
        if _is_api(request):
            return domain_error_response(said_to(request, exc))
        # The error page reads who is signed in from the database: not on the event loop.
        return await run_in_threadpool(error_page, request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return validation_error_response(exc)
        if any(err.get("loc", ())[:1] == ("path",) for err in exc.errors()):
            # A page's address whose id is not one (``/p/acme/imports/1``) names no page: "Page
            # not found", as any unknown address (the API names the parameter, 422).
            return await _http_error(request, StarletteHTTPException(404))
        return await run_in_threadpool(error_page, request, invalid_input_of(exc))

    app.exception_handler(LoginRedirect)(handle_login_redirect)
    app.exception_handler(StepsRedirect)(handle_steps_redirect)
    app.exception_handler(Answered)(handle_answered)

    @app.exception_handler(sqlalchemy_exc.DataError)
    async def _unstorable(request: Request, exc: sqlalchemy_exc.DataError) -> Response:
        # A value the database cannot keep (a NUL character in text, on PostgreSQL): the
        # transaction was rolled back; the request is refused, not answered with a 500.
        log.info("request.unstorable_value error=%s", type(exc.orig).__name__)
        return await _domain_error(
            request, InvalidInput("A value in the request cannot be stored (a NUL character, for example).")
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Unknown paths and wrong methods: problem+json under /api, a page elsewhere.
        code = {404: ErrorCode.NOT_FOUND, 405: ErrorCode.METHOD_NOT_ALLOWED}.get(
            exc.status_code, ErrorCode.HTTP_ERROR
        )
        if _is_api(request):
            return _api_http_error(request, exc, code)
        if exc.status_code == 405 and request.method in ("GET", "HEAD"):
            return to_the_forms_page(request)  # a form's address reloaded or pasted
        detail, title = str(exc.detail), str(exc.detail)
        if "exceeded maximum size" in detail:  # a form field over 1 MB (pages send big pastes as files)
            detail = "That is more text than a form can carry (1 MB). Upload the list as a file instead."
        elif exc.status_code in PAGE_WORDS:  # a page, not the protocol's two words twice
            title, detail = PAGE_WORDS[exc.status_code]
        error = DomainError(detail, code=code)
        error.status, error.title = exc.status_code, title
        return await run_in_threadpool(error_page, request, error)

    app.add_middleware(Edge, settings=settings)
    if db.is_sqlite:
        app.add_middleware(SqliteTurns)
    app.add_middleware(RequestIds)  # the access log line carries the id too
    if settings.trusted_proxies:
        # Outermost: behind a proxy, the client every limit and the Audit Log count is the one
        # the proxy names (X-Forwarded-For), not the proxy; only from the proxies named.
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
    mark_templates(app.router.routes)  # the whole template of each route's paths: metrics, logs
    return app
