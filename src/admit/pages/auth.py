from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from admit.actor import Actor
from admit.auth import service as auth_service
from admit.auth.schemas import left_empty
from admit.errors import CsrfFailed, DomainError, InvalidInput
from admit.flows import join, setup
from admit.kit.routing import Router
from admit.kit.text import sentence
from admit.members import service as members_service
from admit.members.models import Member, User
from admit.pages.deps import (
    Answered,
    PageAuth,
    check_csrf,
    faults_of,
    redirect,
    render,
    safe_next,
    say,
    secret_path_of,
)
from admit.policy import Role, UserType, invited_as
from admit.portals import service as portals_service
from admit.portals import sign_in as sign_in_policy
from admit.portals.models import Portal
from admit.settings import Settings
from admit.web import (
    Auth,
    SessionDep,
    SettingsDep,
    client_ip,
    limit_sign_in,
    limit_token_guessing,
    sign_in_browser,
)

router = Router()


def land_after_joining(
    request: Request,
    session: Session,
    settings: Settings,
    auth: Auth,
    *,
    user: User,
    portal: Portal,
    user_type: str,
    role: str,
    via: auth_service.Via,
    back: bool = False,
    made_in: tuple[Portal, Member] | None = None,
    workspace_id: uuid.UUID | None = None,
) -> RedirectResponse:
    """Where someone lands who has just joined (an invitation, a confirmed sign-up): their
    portal, or the workspace the invitation brought them into (``workspace_id``), welcomed,
    signed in as themselves (the browser's session switches if it was someone else's)."""
    if back:
        welcome = f"Welcome back! You are signed in to {sentence(portal.name)}"
    else:
        welcome = f"Welcome to {portal.name}! You joined as {invited_as(user_type, role)}."
    where = f"/p/{portal.slug}" + (f"/workspaces/{workspace_id}" if workspace_id is not None else "")
    response = redirect(where, notice=welcome)
    if auth.user is None or auth.user.id != user.id:
        auth_service.end_session(session, auth.raw_session)
        sign_in_browser(session, request, response, user, via=via, made_in=made_in)
    return response


def back_in(portal: Portal) -> RedirectResponse:
    """Where a link already used leads the person who used it, opening it again signed in (an
    invitation's, a sign-up's confirmation): the portal, saying they joined before (not a
    welcome, which would read as joining again)."""
    return redirect(f"/p/{portal.slug}", notice=f"You are already a member of {sentence(portal.name)}")


def csrf_or_back_in(already_joined: Callable[[Session, str, User], Portal | None]) -> Any:
    """``check_csrf`` for the form of a secret link that joins (an invitation's, a sign-up's
    confirmation), as a route's dependency. One failure is no attack: the same link's page open
    in two tabs, Join in one, then in the other, whose form carries the token of before (joining
    signed the person in, and a new session has a new token). So when the form's token is refused
    while someone is signed in, and ``already_joined`` says the link in the address is one they
    joined with, they are taken into that portal (``back_in``: nothing is done, nothing told that
    its GET does not tell them). Every other refusal stays one."""

    async def check(request: Request, auth: PageAuth, session: SessionDep) -> None:
        try:
            await check_csrf(request, auth)
        except CsrfFailed:
            token = str(request.path_params.get("token") or "")
            user = auth.user
            if user is None or not token:
                raise
            portal = await run_in_threadpool(already_joined, session, token, user)
            if portal is None:
                raise
            raise Answered(back_in(portal)) from None

    return Depends(check)


def home_for(session: Session, user: User) -> str:
    """Where a signed-in person lands: their first portal (``home_portal``); in none, the portal
    that ended their access (its pages tell them so, in its brand, and who can let them back),
    else "No portal"."""
    portal = home_portal(session, user)
    if portal is None:
        ended = members_service.access_ended_in(session, user)
        return f"/p/{ended.slug}" if ended is not None else "/no-portal"
    return f"/p/{portal.slug}"


def home_portal(session: Session, user: User) -> Portal | None:
    """The person's first portal: where they land, and where a page about them (their account,
    their notification settings) leads back to."""
    memberships = members_service.memberships_of(session, user)
    return memberships[0][0] if memberships else None


def at_home(request: Request, session: Session, user: User) -> dict[str, Any]:
    """What a page about the person (their account, their notification settings) needs to stand
    in their first portal: the way back to it (``home``), and the person as its member
    (``actor``), so that the page wears its navigation and its look."""
    memberships = members_service.memberships_of(session, user)
    if not memberships:
        return {"home": None}
    portal, member = memberships[0]
    actor = Actor(portal=portal, role=Role(member.role), user=user, member=member, ip=client_ip(request))
    return {"home": portal, "actor": actor}


@router.api_route("/", methods=["GET", "HEAD"], name="home")  # HEAD: uptime checks
def home(session: SessionDep, auth: PageAuth) -> RedirectResponse:
    if not portals_service.any_portal(session):
        return RedirectResponse("/setup", status_code=303)
    if auth.user is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(home_for(session, auth.user), status_code=303)


@router.get("/no-portal", name="auth:no_portal")
def no_portal(request: Request, auth: PageAuth) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {
            "title": "No portal",
            "code": "no_portal",
            "message": "Your account is not an active member of any portal. Ask an admin to invite you.",
            "sign_out": auth.user is not None,
        },
    )


@router.get("/setup", name="auth:setup")
def setup_form(request: Request, session: SessionDep, settings: SettingsDep, auth: PageAuth) -> Response:
    if portals_service.any_portal(session):
        return RedirectResponse("/login", status_code=303)
    return render(request, "auth/setup.html", {"form": {}, "min_password": settings.password_min_length})


@router.post("/setup", dependencies=[Depends(check_csrf)])
def setup_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    auth: PageAuth,
    portal_name: str = Form(""),
    owner_name: str = Form(""),
    owner_email: str = Form(""),
    owner_password: str = Form(""),
) -> Response:
    """First run: create the portal and its owner, and sign the owner in."""
    try:
        portal, user, _key = setup.create_portal(
            session,
            name=portal_name,
            owner_email=owner_email,
            owner_password=owner_password,
            owner_name=owner_name,
            first_run=True,
            ip=client_ip(request),
            api_key=False,  # nobody would see it: Settings → API keys makes one when wanted
        )
    except DomainError as exc:
        session.rollback()
        form = {"portal_name": portal_name, "owner_name": owner_name, "owner_email": owner_email}
        problems = exc.field_errors
        # One fault is said where it is: under its field, or on top when it has none; several
        # are counted on top, each under its field.
        error = f"{len(problems)} things to fix below." if len(problems) > 1 else None
        if len(problems) == 1 and not problems[0]["field"]:
            error = exc.message
        context = {
            "form": form,
            "error": error,
            "field_errors": {p["field"]: p["message"] for p in problems if p["field"]},
            "error_field": next((p["field"] for p in problems if p["field"]), None),
            "min_password": settings.password_min_length,
        }
        return render(request, "auth/setup.html", context, status_code=exc.status)
    response = redirect(f"/p/{portal.slug}/users", notice=f"{portal.name} is ready. Invite your team.")
    sign_in_browser(session, request, response, user, via=auth_service.Via.SETUP)
    return response


def _brand_of_next(request: Request, session: Session, next_path: str | None) -> dict[str, Any]:
    """The sign-in page wears the portal it leads into: ``next`` under ``/p/<slug>`` (an unknown
    one: Admit's), or a live invitation's link (its "Sign in to accept"; the page then says so
    in ``accepting``); leading nowhere in particular, ``render``'s own choice (the only portal).
    A ``next`` holding a secret link's token leaves the address bar as the page lands, as the
    link's own page does (``secret_path``); the forms carry it."""
    leads_into = _portal_of_next(session, next_path)
    if leads_into is not None:
        return leads_into
    if secret_path_of(next_path or "") is None:
        return {}
    found: dict[str, Any] = {"secret_path": request.url.path}
    invitation = re.fullmatch(r"/invite/([A-Za-z0-9_-]+)", next_path or "")
    if invitation:
        limit_token_guessing(request)  # the page's look tells a live invitation from a dead one
        portal = join.portal_of_invitation(session, invitation.group(1))
        if portal is not None:
            found.update(brand_portal=portal, accepting=portal)
    return found


def _portal_of_next(session: Session, next_path: str | None) -> dict[str, Any] | None:
    """``brand_portal``: the portal a ``next`` under ``/p/<slug>`` leads into (None: an unknown
    one, Admit's look); None when ``next`` leads into no portal."""
    match = re.match(r"/p/([a-z0-9-]+)(?:[/?]|$)", next_path or "")
    return {"brand_portal": portals_service.get_by_slug(session, match.group(1))} if match else None


# What a sign-in form says under a field left empty (``auth.schemas.left_empty``), by its label.
ENTER_EMAIL = "Enter your email address."
ENTER_ADDRESS = "Enter your email address or phone number."
ENTER_PASSWORD = "Enter your password."
ENTER_CODE = "Enter the 6-digit code."


def _left_empty(*fields: tuple[str, str, str]) -> dict[str, Any] | None:
    """A sign-in form's faults (``faults_of``) when any of ``fields`` (each: the field's id, what
    was typed, the words for it empty) was left empty, every one under its field; None: none
    was. ``password`` is taken as typed (spaces may be one)."""
    problems = [
        {"field": at, "message": words}
        for at, value, words in fields
        if left_empty(value, secret=at == "password")
    ]
    return faults_of(InvalidInput.of_all(problems), {at: at for at, _v, _w in fields}) if problems else None


@router.get("/login", name="auth:login")
def login_form(
    request: Request, session: SessionDep, auth: PageAuth, next: str | None = None, email: str | None = None
) -> HTMLResponse:
    return _login_page(request, session, {"next": next, "email": email})


def _login_page(
    request: Request, session: Session, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """The sign-in page: ``context``, in the look of where it leads (``_brand_of_next``), saying
    what the portal it wears asks of its clients (``clients_need_password``, the portal's policy,
    ``portals.sign_in``; None when it wears no one portal: several, none named)."""
    looks = _brand_of_next(request, session, context.get("next"))
    worn = looks["brand_portal"] if "brand_portal" in looks else portals_service.only_portal(session)
    clients = None if worn is None else sign_in_policy.password_required(worn, UserType.CLIENT)
    said = {**context, **looks, "clients_portal": worn, "clients_need_password": clients}
    return render(request, "auth/login.html", said, status_code=status_code)


@router.post("/login", dependencies=[Depends(check_csrf)])
def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    auth: PageAuth,
    email: str = Form(""),
    password: str = Form(""),
    next: str = Form(""),
) -> Response:
    empty = _left_empty(("email", email, ENTER_EMAIL), ("password", password, ENTER_PASSWORD))
    if empty is not None:
        return _login_page(
            request, session, {"next": next, "email": email, **empty}, status_code=InvalidInput.status
        )
    try:
        limit_sign_in(request)
        user = auth_service.login(session, email=email, password=password, ip=client_ip(request))
    except DomainError as exc:
        session.rollback()
        return _login_page(
            request, session, {"next": next, "email": email, "error": exc.message}, status_code=exc.status
        )
    auth_service.end_session(session, auth.raw_session)
    response = RedirectResponse(safe_next(next, home_for(session, user)), status_code=303)
    sign_in_browser(session, request, response, user, via=auth_service.Via.PASSWORD)
    return response


@router.post("/logout", name="auth:logout", dependencies=[Depends(check_csrf)])
def logout(
    session: SessionDep, settings: SettingsDep, auth: PageAuth, next: str = Form("")
) -> RedirectResponse:
    auth_service.end_session(session, auth.raw_session)
    response = redirect(safe_next(next, "/login"), notice="You are signed out.")
    response.delete_cookie(settings.session_cookie_name, path="/")
    return response


@router.post("/login/link", name="auth:request_link", dependencies=[Depends(check_csrf)])
def request_link(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    auth: PageAuth,
    email: str = Form(""),
    next: str = Form(""),
) -> HTMLResponse:
    """No password (clients): email a one-time sign-in link. The answer is the same for everyone.
    ``next``: where they were going (a workspace from an email); the link leads back there."""
    empty = _left_empty(("email", email, ENTER_ADDRESS))  # the sign-in page's one Email field
    if empty is not None:
        return _login_page(
            request, session, {"email": email, "next": next, **empty}, status_code=InvalidInput.status
        )
    try:
        limit_sign_in(request)
        asked = auth_service.request_sign_in_link(
            session,
            email=email,
            minutes=settings.sign_in_link_minutes,
            next_path=safe_next(next, "") or None,
            ip=client_ip(request),
        )
    except DomainError as exc:
        refused = {"email": email, "next": next, "error": exc.message}
        return _login_page(request, session, refused, status_code=exc.status)
    # No lifetime on the page: a portal may give its members a shorter one, and this page must
    # not tell whether the address has an account (the email says how long its link works).
    # Its code form leads where the link does (``next``).
    context = {"asked": asked, "next": safe_next(next, ""), **_brand_of_next(request, session, next)}
    return render(request, "auth/link_sent.html", context)


@router.get("/login/code", name="auth:code_form")
def code_form(request: Request, session: SessionDep, auth: PageAuth, next: str | None = None) -> HTMLResponse:
    """Sign in with the code of a sign-in email or text message, typed with the address it went
    to: for someone who no longer has the page where they asked for it. Like the sign-in page,
    it wears the portal it leads into (``next``)."""
    context = {"email": "", "next": safe_next(next, ""), **_brand_of_next(request, session, next)}
    return render(request, "auth/code.html", context)


@router.post("/login/code", name="auth:code", dependencies=[Depends(check_csrf)])
def code_use(
    request: Request,
    session: SessionDep,
    auth: PageAuth,
    email: str = Form(""),
    code: str = Form(""),
    page: str = Form(""),
    next: str = Form(""),
) -> Response:
    """The 6-digit code from the sign-in email, for someone reading it on another device.
    ``page``: "code" when it was typed on Sign in with a code (``code_form``), whose answer to a
    wrong code is that page again; else the page after asking (``request_link``)."""
    if page == "code":  # the address typed with the code, else the page's own (hidden)
        empty = _left_empty(("code_email", email, ENTER_ADDRESS), ("code", code, ENTER_CODE))
    else:
        empty = _left_empty(("code", code, ENTER_CODE))
    if empty is not None:
        typed: dict[str, Any] = (
            {"email": email} if page == "code" else {"asked": auth_service.asked_address(session, email)}
        )
        said = {
            **typed,
            **_brand_of_next(request, session, next),
            **empty,
            "code": code,
            "next": safe_next(next, ""),
        }
        template = "auth/code.html" if page == "code" else "auth/link_sent.html"
        return render(request, template, said, status_code=InvalidInput.status)
    try:
        # Tries are counted per client and address and per address (the service) and, as every
        # sign-in's, per client address: guesses spread over many addresses are limited too.
        limit_sign_in(request)
        user = auth_service.use_sign_in_code(session, email=email, code=code, ip=client_ip(request))
    except DomainError as exc:  # a wrong or old code, or too many tries: nothing was written
        if page == "code":
            context: dict[str, Any] = {"email": email}
            template = "auth/code.html"
        else:
            context = {"asked": auth_service.asked_address(session, email)}
            template = "auth/link_sent.html"
        looks = _brand_of_next(request, session, next)
        # Every refusal here is of the code typed (one that could be none, "abc12"; a wrong or
        # old one; too many tries): said under its field, which keeps what was typed.
        wrong = {"field_errors": {"code": exc.message}, "error_field": "code"}
        said = {**context, **looks, **wrong, "code": code, "next": safe_next(next, "")}
        return render(request, template, said, status_code=exc.status)
    auth_service.end_session(session, auth.raw_session)
    # Where they were going, as the link would have led them (a workspace from an email).
    response = RedirectResponse(safe_next(next, home_for(session, user)), status_code=303)
    sign_in_browser(session, request, response, user, via=auth_service.Via.SIGN_IN_CODE)
    return response


@router.get("/login/link/{token}", name="auth:link")
def link_page(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, auth: PageAuth
) -> HTMLResponse:
    """Shows whom the link signs in; opening it never uses it (mail scanners open links)."""
    limit_token_guessing(request)
    user = auth_service.sign_in_link_user(session, token)
    next_path = safe_next(request.query_params.get("next"), "")
    # It wears what its email wore (the account's one portal), or the portal it leads into.
    looks = _portal_of_next(session, next_path)
    if looks is None:
        one = portals_service.account_portal([p for p, _m in members_service.memberships_of(session, user)])
        looks = {"brand_portal": one} if one is not None else {}
    return render(request, "auth/link.html", {"link_user": user, "token": token, "next": next_path, **looks})


@router.post("/login/link/{token}", dependencies=[Depends(check_csrf)])
def link_use(
    token: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    auth: PageAuth,
    next: str = Form(""),
) -> RedirectResponse:
    limit_token_guessing(request)
    user = auth_service.use_sign_in_link(session, token)
    auth_service.end_session(session, auth.raw_session)
    # Where they were going when they asked for the link (a workspace), else their home.
    response = RedirectResponse(safe_next(next, home_for(session, user)), status_code=303)
    sign_in_browser(session, request, response, user, via=auth_service.Via.SIGN_IN_LINK)
    return response


@router.get("/forgot-password", name="auth:forgot")
def forgot_page(request: Request, auth: PageAuth, email: str = "") -> HTMLResponse:
    """Forgot password?: ask for a link to choose a new one."""
    return render(request, "auth/forgot.html", {"email": email})


@router.post("/forgot-password", dependencies=[Depends(check_csrf)])
def forgot_submit(
    request: Request, session: SessionDep, settings: SettingsDep, auth: PageAuth, email: str = Form("")
) -> HTMLResponse:
    """The answer is the same whether or not the address has an account."""
    empty = _left_empty(("email", email, ENTER_ADDRESS))
    if empty is not None:
        context = {"email": email, **empty}
        return render(request, "auth/forgot.html", context, status_code=InvalidInput.status)
    try:
        limit_sign_in(request)
        asked = auth_service.request_password_reset(
            session, email=email, minutes=settings.password_reset_minutes, ip=client_ip(request)
        )
    except DomainError as exc:
        context = {"email": email, **faults_of(exc, {"email": "email"})}
        return render(request, "auth/forgot.html", context, status_code=exc.status)
    return render(
        request, "auth/reset_sent.html", {"asked": asked, "minutes": settings.password_reset_minutes}
    )


@router.get("/reset-password/{token}", name="auth:reset")
def reset_page(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, auth: PageAuth
) -> HTMLResponse:
    """Choose a new password; opening the page never uses the link."""
    limit_token_guessing(request)
    user = auth_service.password_reset_user(session, token)
    return render(
        request,
        "auth/reset.html",
        {"reset_user": user, "token": token, "min_length": settings.password_min_length},
    )


@router.post("/reset-password/{token}", dependencies=[Depends(check_csrf)])
def reset_submit(
    token: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    auth: PageAuth,
    password: str = Form(""),
) -> Response:
    limit_token_guessing(request)
    try:
        user = auth_service.reset_password(session, token, password)
    except InvalidInput as exc:
        session.rollback()
        user = auth_service.password_reset_user(session, token)
        return render(
            request,
            "auth/reset.html",
            {
                "reset_user": user,
                "token": token,
                **faults_of(exc, {"password": "password"}),  # under the field (``new_password``)
                "min_length": settings.password_min_length,
            },
            status_code=exc.status,
        )
    auth_service.end_session(session, auth.raw_session)
    response = redirect(home_for(session, user))
    outcome = sign_in_browser(session, request, response, user, via=auth_service.Via.PASSWORD_RESET)
    if isinstance(outcome, auth_service.Challenge):
        say(response, "Your password was changed. One more step: the code from your authenticator app.")
    else:
        say(response, "Your password was changed. You are signed in.")
    return response
