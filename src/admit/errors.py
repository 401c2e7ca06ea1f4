"""Domain errors, shared by the API, the pages, the CLI and the worker: a closed vocabulary.

Each error has a stable snake_case ``code`` (an ``ErrorCode``: what integrators match on), a
human ``message`` (the problem's ``detail``: people read it, so raise sites word it), the HTTP
``status`` it maps to and a short ``title`` (its family's). Services raise these, never
``HTTPException``. There is one class per meaning; its docstring is the meaning that
``GET /errors`` shows, and an API problem's ``type`` is ``/errors#<code>`` (``type_uri``), an
absolute path on the server that answered. ``DomainError`` refuses a code that is not an
``ErrorCode``, so a new meaning is added here (member, class, row below) before it is raised.

| code                       | class                   | HTTP | meaning                                      |
| -------------------------- | ----------------------- | ---- | -------------------------------------------- |
| bad_request                | DomainError             | 400  | the request cannot be done (generic)         |
| http_error                 | HttpError               | 400  | the request could not be read (HTTP level)   |
| invalid_input              | InvalidInput            | 422  | a value is not acceptable (``field``)        |
| domain_not_allowed         | DomainNotAllowed        | 422  | the link does not accept this email domain   |
| idempotency_key_reused     | IdempotencyKeyReused    | 422  | the key was used for a different request     |
| not_authenticated          | NotAuthenticated        | 401  | no credentials: sign in or send an API key   |
| two_factor_required        | TwoFactorRequired       | 401  | give the authenticator code (challenge)      |
| two_factor_enrolment_required | TwoFactorEnrolmentRequired | 401 | set up an authenticator app first     |
| invalid_credentials        | InvalidCredentials      | 401  | wrong email or password                      |
| invalid_api_key            | InvalidApiKey           | 401  | the API key is unknown or revoked            |
| permission_denied          | PermissionDenied        | 403  | your role may not do this                    |
| member_deactivated         | MemberDeactivated       | 403  | your access to the portal was ended          |
| sign_in_required           | SignInRequired          | 403  | sign in to the account this is for           |
| sign_in_incomplete         | SignInIncomplete        | 403  | the sign-in policy asks more first (steps)   |
| wrong_account              | WrongAccount            | 403  | signed in as someone other than the invitee  |
| csrf_failed                | CsrfFailed              | 403  | the CSRF token is missing or wrong           |
| not_found                  | NotFound                | 404  | no such thing (or no such route)             |
| portal_not_found           | PortalNotFound          | 404  | no such portal, or you are not in it         |
| workspace_not_found        | WorkspaceNotFound       | 404  | no such workspace that you can reach         |
| member_not_found           | MemberNotFound          | 404  | no such member (portal or workspace)         |
| invitation_not_found       | InvitationNotFound      | 404  | no such invitation, or its link is not valid |
| team_not_found             | TeamNotFound            | 404  | no such team or client group                 |
| role_not_found             | RoleNotFound            | 404  | no such role in this workspace               |
| join_request_not_found     | JoinRequestNotFound     | 404  | no such join request                         |
| contact_not_found          | ContactNotFound         | 404  | no such contact of yours                     |
| import_not_found           | ImportNotFound          | 404  | no such invitation import                    |
| bulk_job_not_found         | BulkJobNotFound         | 404  | no such bulk action in this portal           |
| confirmation_not_found     | ConfirmationNotFound    | 404  | the sign-up confirmation link is not valid   |
| signup_not_found           | SignupNotFound          | 404  | no such pending sign-up in this portal       |
| api_key_not_found          | ApiKeyNotFound          | 404  | no such API key in this portal               |
| webhook_not_found          | WebhookNotFound         | 404  | no such webhook endpoint or message here     |
| scim_token_not_found       | ScimTokenNotFound       | 404  | no such SCIM token in this portal            |
| hr_connection_not_found    | HrConnectionNotFound    | 404  | no such HR connection (or run) here          |
| session_not_found          | SessionNotFound         | 404  | no such browser session of yours             |
| link_not_found             | LinkNotFound            | 404  | no invite link made yet (POST makes it)      |
| method_not_allowed         | MethodNotAllowed        | 405  | the route does not take this HTTP method     |
| conflict                   | Conflict                | 409  | the current state does not allow it |
| invitation_not_pending     | InvitationNotPending    | 409  | the invitation was accepted or revoked       |
| join_request_not_pending   | JoinRequestNotPending   | 409  | the join request was already answered        |
| join_request_not_invitable | JoinRequestNotInvitable | 409  | the requester cannot be invited              |
| already_set_up             | AlreadySetUp            | 409  | first-run setup was already done             |
| portal_exists              | PortalExists            | 409  | the owner already has a portal of that name  |
| already_joined             | AlreadyJoined           | 409  | they joined: nothing to resend               |
| member_not_deactivated     | MemberNotDeactivated    | 409  | only a deactivated member can be reactivated |
| no_invitation              | NoInvitation            | 409  | their invitation was revoked                 |
| address_suppressed         | AddressSuppressed       | 409  | mail to it bounced or was marked as spam     |
| no_address                 | NoAddress               | 409  | the contact has no address to invite         |
| portal_link                | PortalLink              | 409  | a portal link: sign up, not ask to join      |
| workspace_link             | WorkspaceLink           | 409  | a workspace link: ask to join, not sign up   |
| not_a_flow                 | NotAFlow                | 409  | only flow workspaces have roles and actions  |
| role_exists                | RoleExists              | 409  | the flow already has a role of that name     |
| team_exists                | TeamExists              | 409  | a team or group of that name exists          |
| workspace_exists           | WorkspaceExists         | 409  | a workspace of that name exists              |
| import_not_previewed       | ImportNotPreviewed      | 409  | the import cannot be started in its state    |
| gone                       | Gone                    | 410  | it existed but no longer works (generic)     |
| invitation_gone            | InvitationGone          | 410  | the invitation link can no longer be used    |
| invitation_not_grantable   | InvitationNotGrantable  | 410  | its inviter can no longer grant it           |
| link_gone                  | LinkGone                | 410  | the invite link expired, was replaced or off |
| link_used_up               | LinkUsedUp              | 410  | the invite link reached its maximum of joins |
| confirmation_used          | ConfirmationUsed        | 410  | the sign-up was already confirmed            |
| confirmation_replaced      | ConfirmationReplaced    | 410  | a newer confirmation email replaced it       |
| confirmation_expired       | ConfirmationExpired     | 410  | the confirmation link expired                |
| confirmation_removed       | ConfirmationRemoved     | 410  | the portal's admins removed the sign-up      |
| sign_in_link_gone          | SignInLinkGone          | 410  | the sign-in link expired or was used         |
| password_reset_gone        | PasswordResetGone       | 410  | the password reset link expired or was used  |
| rate_limited               | RateLimited             | 429  | too many attempts; ``retry_after`` seconds   |
| recipient_rate_limited     | RecipientRateLimited    | 429  | this person got enough messages for now      |
| internal_error             | InternalError           | 500  | a fault inside Admit; logged, by reference   |
| busy                       | Busy                    | 503  | the server is at capacity; retry shortly     |
| hr_system_failed           | HrSystemFailed          | 502  | the HR system refused or failed; it is named |
| too_large                  | TooLarge                | 413  | the request's body is over the size allowed  |
| unsupported_media_type     | UnsupportedMediaType    | 415  | the body is not sent as JSON (Content-Type)  |

Optional fields a problem may carry: ``field`` and ``errors`` (422: the input at fault, and every
input at fault, at least that one: ``DomainError.field_errors``) and ``retry_after`` (429 and 503,
also the ``Retry-After`` header).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

# Where the vocabulary is documented; a problem's ``type`` points into it.
DOCS_PATH = "/errors"

# How a day is written, said wherever one is refused: the API's day parameters
# (``api.errors.field_error``), the Audit Log's filters on the page and the CLI's --since and
# --until (``audit.service.day``).
A_DAY = "A day, written YYYY-MM-DD (e.g. 2026-12-06)."


def at_most_characters(limit: int, text: object = None) -> str:
    """A text over its length limit, in the one wording every face says it (under its field, or
    with it in ``errors``): "At most 2,000 characters; this one has 2,001." (the count when the
    text is known)."""
    had = f"; this one has {len(text):,}" if isinstance(text, str) else ""
    return f"At most {limit:,} characters{had}."


class ErrorCode(StrEnum):
    """Every error code the service answers with: a closed list (``GET /errors`` says what each
    means), so ``DomainError`` refuses any other."""

    BAD_REQUEST = "bad_request"
    HTTP_ERROR = "http_error"
    INVALID_INPUT = "invalid_input"
    DOMAIN_NOT_ALLOWED = "domain_not_allowed"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    NOT_AUTHENTICATED = "not_authenticated"
    TWO_FACTOR_REQUIRED = "two_factor_required"
    TWO_FACTOR_ENROLMENT_REQUIRED = "two_factor_enrolment_required"
    INVALID_CREDENTIALS = "invalid_credentials"
    INVALID_API_KEY = "invalid_api_key"
    PERMISSION_DENIED = "permission_denied"
    MEMBER_DEACTIVATED = "member_deactivated"
    SIGN_IN_REQUIRED = "sign_in_required"
    SIGN_IN_INCOMPLETE = "sign_in_incomplete"
    WRONG_ACCOUNT = "wrong_account"
    CSRF_FAILED = "csrf_failed"
    NOT_FOUND = "not_found"
    PORTAL_NOT_FOUND = "portal_not_found"
    WORKSPACE_NOT_FOUND = "workspace_not_found"
    MEMBER_NOT_FOUND = "member_not_found"
    INVITATION_NOT_FOUND = "invitation_not_found"
    TEAM_NOT_FOUND = "team_not_found"
    ROLE_NOT_FOUND = "role_not_found"
    JOIN_REQUEST_NOT_FOUND = "join_request_not_found"
    CONTACT_NOT_FOUND = "contact_not_found"
    IMPORT_NOT_FOUND = "import_not_found"
    BULK_JOB_NOT_FOUND = "bulk_job_not_found"
    CONFIRMATION_NOT_FOUND = "confirmation_not_found"
    SIGNUP_NOT_FOUND = "signup_not_found"
    API_KEY_NOT_FOUND = "api_key_not_found"
    WEBHOOK_NOT_FOUND = "webhook_not_found"
    SCIM_TOKEN_NOT_FOUND = "scim_token_not_found"
    HR_CONNECTION_NOT_FOUND = "hr_connection_not_found"
    SESSION_NOT_FOUND = "session_not_found"
    LINK_NOT_FOUND = "link_not_found"
    HR_SYSTEM_FAILED = "hr_system_failed"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    INVITATION_NOT_PENDING = "invitation_not_pending"
    JOIN_REQUEST_NOT_PENDING = "join_request_not_pending"
    JOIN_REQUEST_NOT_INVITABLE = "join_request_not_invitable"
    ALREADY_SET_UP = "already_set_up"
    PORTAL_EXISTS = "portal_exists"
    ALREADY_JOINED = "already_joined"
    MEMBER_NOT_DEACTIVATED = "member_not_deactivated"
    NO_INVITATION = "no_invitation"
    NO_ADDRESS = "no_address"
    PORTAL_LINK = "portal_link"
    WORKSPACE_LINK = "workspace_link"
    NOT_A_FLOW = "not_a_flow"
    ROLE_EXISTS = "role_exists"
    TEAM_EXISTS = "team_exists"
    WORKSPACE_EXISTS = "workspace_exists"
    IMPORT_NOT_PREVIEWED = "import_not_previewed"
    ADDRESS_SUPPRESSED = "address_suppressed"
    GONE = "gone"
    INVITATION_GONE = "invitation_gone"
    INVITATION_NOT_GRANTABLE = "invitation_not_grantable"
    LINK_GONE = "link_gone"
    LINK_USED_UP = "link_used_up"
    CONFIRMATION_USED = "confirmation_used"
    CONFIRMATION_REPLACED = "confirmation_replaced"
    CONFIRMATION_EXPIRED = "confirmation_expired"
    CONFIRMATION_REMOVED = "confirmation_removed"
    SIGN_IN_LINK_GONE = "sign_in_link_gone"
    PASSWORD_RESET_GONE = "password_reset_gone"
    RATE_LIMITED = "rate_limited"
    RECIPIENT_RATE_LIMITED = "recipient_rate_limited"
    INTERNAL_ERROR = "internal_error"
    BUSY = "busy"
    TOO_LARGE = "too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"


def type_uri(code: ErrorCode | str) -> str:
    """A problem's ``type``: the code's entry on the errors page (RFC 9457 allows a relative
    reference; an absolute path resolves against whichever host answered)."""
    return f"{DOCS_PATH}#{code}"


# code → the class that means it; filled as the classes below are defined.
CLASSES: dict[ErrorCode, type[DomainError]] = {}


class DomainError(Exception):
    """The request cannot be done (generic; every error below is more specific)."""

    status: int = 400
    code: ErrorCode = ErrorCode.BAD_REQUEST
    # An answer that is not a failure of what the request did (the second step of a sign-in is
    # due after an invitation was accepted): its transaction is committed, not rolled back.
    keeps_work: bool = False
    title: str = "Bad request"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            raise TypeError(f"{cls.__name__} names no code: one class per meaning, one ErrorCode each")
        if not isinstance(cls.code, ErrorCode):
            raise TypeError(f"{cls.__name__}.code must be an ErrorCode, not {cls.code!r}")
        if cls.code in CLASSES:
            raise TypeError(f"{cls.code} already means {CLASSES[cls.code].__name__}")
        CLASSES[cls.code] = cls

    def __init__(self, message: str, *, code: ErrorCode | str | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            try:
                self.code = ErrorCode(code)
            except ValueError:
                raise ValueError(
                    f"{code!r} is not an ErrorCode: add it to admit.errors (a member and a class)"
                ) from None
        self.fields = {k: v for k, v in fields.items() if v is not None}

    @property
    def field_errors(self) -> list[dict[str, Any]]:
        """Every input at fault, each ``{field, message}``: the ``errors`` its raiser listed
        (several checked together), else the one ``field`` it names (None: none) and its message."""
        listed: list[dict[str, Any]] | None = self.fields.get("errors")
        return listed or [{"field": self.fields.get("field"), "message": self.message}]


CLASSES[ErrorCode.BAD_REQUEST] = DomainError


class HttpError(DomainError):
    """The request could not be read at the HTTP level (for example a malformed form body);
    the status and title are HTTP's own."""

    code = ErrorCode.HTTP_ERROR


class InvalidInput(DomainError):
    """A value in the request is not acceptable; ``field`` names it, and ``errors`` lists every
    input at fault (at least that one), each with its ``field`` and ``message``."""

    status = 422
    code = ErrorCode.INVALID_INPUT
    title = "Invalid input"

    # Several refusals said together (``of_all``): the API names each one's input in its detail.
    together = False

    def __init__(self, message: str, *, field: str | None = None, **fields: Any) -> None:
        super().__init__(message, field=field, **fields)
        self.field = field

    @classmethod
    def of_all(cls, problems: list[dict[str, Any]]) -> InvalidInput:
        """One refusal for several inputs at fault (each ``{field, message}``): its message all
        of theirs, ``field`` the first's (a form puts the cursor there)."""
        refusal = cls(" ".join(p["message"] for p in problems), field=problems[0]["field"], errors=problems)
        refusal.together = len(problems) > 1
        return refusal

    @classmethod
    def not_one_of(cls, field: str, allowed: Iterable[str], *, named: str | None = None) -> InvalidInput:
        """The refusal of a value that is none of ``allowed`` (a status, a kind, an action…), in
        the one wording every service says it by: "status must be one of pending, accepted."
        (``named``: the input as the caller's face calls it, e.g. a page's “Category” or the
        CLI's ``--category``; else ``field``)."""
        return cls(f"{named or field} must be one of {', '.join(str(a) for a in allowed)}.", field=field)

    def renamed(self, names: Mapping[str, str]) -> InvalidInput:
        """The same refusal, its inputs named as a face names them (``names``: the rule's name
        → the face's; others as they were): a nested input the service takes flat."""
        if not any(p["field"] in names for p in self.field_errors):
            return self
        problems = [
            {**p, "field": names.get(p.get("field") or "", p.get("field"))} for p in self.field_errors
        ]
        renamed = type(self)(self.message, field=problems[0]["field"], errors=problems)
        renamed.together = self.together
        return renamed


def listed_in(field: str | None) -> str | None:
    """The input a fault's ``field`` names: a list's, when it names one of its entries
    (``allowed_domains.2`` → ``allowed_domains``), as a form's field or a command's option gives
    the whole list."""
    if field is None:
        return None
    head, dot, tail = field.rpartition(".")
    return head if dot and tail.isdigit() else field


class Checks:
    """Several inputs checked together, so that a form says every fault at once: each refusal
    inside ``with checks.of("field")`` is noted under its field and the checking goes on;
    ``done()`` then raises them all as one ``InvalidInput`` (``InvalidInput.of_all``)."""

    def __init__(self) -> None:
        self.problems: list[dict[str, Any]] = []

    @contextmanager
    def of(self, field: str, *, renamed: bool = False) -> Iterator[None]:
        """A refusal inside is noted under the field it names, else under ``field``; ``renamed``:
        always under ``field`` (the form calls the input otherwise than the rule it is checked
        by: set-up's ``owner_password`` is the password rule's ``password``)."""
        try:
            yield
        except InvalidInput as exc:
            if renamed:
                self.problems.append({"field": field, "message": exc.message})
            else:  # each of its faults, when it lists several (a rule that checks them together)
                self.problems.extend(
                    {"field": p["field"] or field, "message": p["message"]} for p in exc.field_errors
                )

    def extend(self, other: Checks | None) -> None:
        """Say ``other``'s faults too (a caller's, found in the same request), after these. An
        input ``other`` names is said in its words, where these said it (the caller could not
        parse it: what was checked here was its absence, ``kit.apart``)."""
        if other is None:
            return
        named = {p["field"] for p in other.problems if p["field"] is not None}
        said: list[dict[str, Any]] = []
        placed: set[str] = set()
        for problem in self.problems:
            field = problem["field"]
            if field not in named:
                said.append(problem)
            elif field not in placed:
                placed.add(field)
                said.extend(p for p in other.problems if p["field"] == field)
        self.problems = said + [p for p in other.problems if p["field"] not in placed]

    def done(self) -> None:
        if self.problems:
            raise InvalidInput.of_all(self.problems)


class DomainNotAllowed(InvalidInput):
    """The invite link only accepts email addresses at the domains it lists (``field``:
    ``email``)."""

    code = ErrorCode.DOMAIN_NOT_ALLOWED


class IdempotencyKeyReused(InvalidInput):
    """You sent this ``Idempotency-Key`` before with a different request (another operation, or
    another body: another list or other options): a retry must repeat the request exactly; a new
    request needs a new key."""

    code = ErrorCode.IDEMPOTENCY_KEY_REUSED


class NotAuthenticated(DomainError):
    """No credentials came with the request: sign in, or send ``Authorization: Bearer <API key>``."""

    status = 401
    code = ErrorCode.NOT_AUTHENTICATED
    title = "Sign in required"


class TwoFactorRequired(NotAuthenticated):
    """Who you are is proved; now the second factor: ``POST /auth/two-factor`` with the
    ``challenge`` given here and the authenticator app's code (or a recovery code)."""

    code = ErrorCode.TWO_FACTOR_REQUIRED
    title = "Two-step verification"
    keeps_work = True  # the way in did its work (an invitation accepted…): it is kept


class TwoFactorEnrolmentRequired(NotAuthenticated):
    """Who you are is proved, and a portal of yours requires two-step verification that you have
    not set up: ``POST /me/two-factor`` and ``/me/two-factor/confirm`` with the ``challenge``."""

    code = ErrorCode.TWO_FACTOR_ENROLMENT_REQUIRED
    title = "Set up two-step verification"
    keeps_work = True


class InvalidCredentials(NotAuthenticated):
    """The email or password is incorrect."""

    code = ErrorCode.INVALID_CREDENTIALS


class InvalidApiKey(NotAuthenticated):
    """The API key is not valid (unknown or revoked)."""

    code = ErrorCode.INVALID_API_KEY


class PermissionDenied(DomainError):
    """You may not do this: your role may not, or something else stands in the way (a directory
    manages the member; only people write messages). The detail says what it would take."""

    # ``of_role=False``: refused for something other than the role, so the API says nothing of
    # the role an API key acts as (``api.errors.said_to``). The docstring above is the errors
    # page's (``/errors``): what a caller can act on, no names of Admit's own code.
    status = 403
    code = ErrorCode.PERMISSION_DENIED
    title = "Not allowed"

    def __init__(self, message: str, *, of_role: bool = True, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.of_role = of_role


class MemberDeactivated(PermissionDenied):
    """An administrator ended your access to this portal; an owner or admin can give it back
    (reactivate you)."""

    # Said by ``members.service.access_ended``; headed as what happened to them, not as a refusal
    # of something they did ("Not allowed").

    code = ErrorCode.MEMBER_DEACTIVATED
    title = "Your access has ended"


class SignInRequired(DomainError):
    """An account already exists for this address: sign in to it to go on."""

    status = 403
    code = ErrorCode.SIGN_IN_REQUIRED
    title = "Sign in to continue"


class SignInIncomplete(DomainError):
    """Signed in, but the portal's sign-in policy asks more of this session first: ``steps``
    (``choose_password``, ``enrol_second_factor``, ``verify_second_factor``)."""

    status = 403
    code = ErrorCode.SIGN_IN_INCOMPLETE
    title = "Finish signing in"


class WrongAccount(SignInRequired):
    """You are signed in as someone other than the person this is for: sign out and continue
    as them."""

    code = ErrorCode.WRONG_ACCOUNT


class CsrfFailed(DomainError):
    """A change made with a browser session lacks the right CSRF token (the ``X-CSRF-Token``
    header given at sign-in, or the form's token)."""

    status = 403
    code = ErrorCode.CSRF_FAILED
    title = "Security check failed"


class NotFound(DomainError):
    """Nothing here: an unknown route, or something that does not exist for you."""

    status = 404
    code = ErrorCode.NOT_FOUND
    title = "Not found"


class PortalNotFound(NotFound):
    """No such portal, or you are not an active member of it (the two are not told apart)."""

    code = ErrorCode.PORTAL_NOT_FOUND


class WorkspaceNotFound(NotFound):
    """No such workspace, or not one you can reach."""

    code = ErrorCode.WORKSPACE_NOT_FOUND


class MemberNotFound(NotFound):
    """No such member in this portal or workspace, or no such person in this team or client group."""

    code = ErrorCode.MEMBER_NOT_FOUND


class InvitationNotFound(NotFound):
    """No such invitation in this portal, or an invitation link that is not valid."""

    code = ErrorCode.INVITATION_NOT_FOUND


class TeamNotFound(NotFound):
    """No such team or client group in this portal."""

    code = ErrorCode.TEAM_NOT_FOUND


class RoleNotFound(NotFound):
    """No such role in this workspace."""

    code = ErrorCode.ROLE_NOT_FOUND


class JoinRequestNotFound(NotFound):
    """No such join request (in a workspace you are in)."""

    code = ErrorCode.JOIN_REQUEST_NOT_FOUND


class ContactNotFound(NotFound):
    """No such contact of yours."""

    code = ErrorCode.CONTACT_NOT_FOUND


class ImportNotFound(NotFound):
    """No such invitation import in this portal (that you may see)."""

    code = ErrorCode.IMPORT_NOT_FOUND


class BulkJobNotFound(NotFound):
    """No such bulk action in this portal."""

    code = ErrorCode.BULK_JOB_NOT_FOUND


class ConfirmationNotFound(NotFound):
    """The sign-up confirmation link is not valid: use the newest email, or sign up again."""

    code = ErrorCode.CONFIRMATION_NOT_FOUND


class SignupNotFound(NotFound):
    """No sign-up through this portal's link by that id (waiting for its confirmation, for what
    only a pending one allows: remove, resend)."""

    code = ErrorCode.SIGNUP_NOT_FOUND


class LinkNotFound(NotFound):
    """No invite link made yet (the portal's or the workspace's): POST the same path makes it."""

    code = ErrorCode.LINK_NOT_FOUND


class ApiKeyNotFound(NotFound):
    """No such API key in this portal."""

    code = ErrorCode.API_KEY_NOT_FOUND


class WebhookNotFound(NotFound):
    """No such webhook endpoint (or message of it) in this portal."""

    code = ErrorCode.WEBHOOK_NOT_FOUND


class ScimTokenNotFound(NotFound):
    """No such SCIM token in this portal."""

    code = ErrorCode.SCIM_TOKEN_NOT_FOUND


class HrConnectionNotFound(NotFound):
    """No such HR connection (or sync run of it) in this portal."""

    code = ErrorCode.HR_CONNECTION_NOT_FOUND


class SessionNotFound(NotFound):
    """No such browser session of the signed-in person's (someone else's, or signed out)."""

    code = ErrorCode.SESSION_NOT_FOUND


class MethodNotAllowed(DomainError):
    """The route exists but does not take this HTTP method."""

    status = 405
    code = ErrorCode.METHOD_NOT_ALLOWED
    title = "Method not allowed"


class Conflict(DomainError):
    """The current state does not allow this (generic; every conflict below is more specific)."""

    status = 409
    code = ErrorCode.CONFLICT
    title = "Conflict"


class InvitationNotPending(Conflict):
    """Only pending (or expired) invitations can be resent or revoked; this one was accepted
    or revoked."""

    code = ErrorCode.INVITATION_NOT_PENDING


class JoinRequestNotPending(Conflict):
    """The join request was already approved or declined."""

    code = ErrorCode.JOIN_REQUEST_NOT_PENDING


class JoinRequestNotInvitable(Conflict):
    """Approving would invite someone who cannot be invited (the detail says why)."""

    code = ErrorCode.JOIN_REQUEST_NOT_INVITABLE


class AlreadySetUp(Conflict):
    """Admit is already set up: sign in instead."""

    code = ErrorCode.ALREADY_SET_UP


class PortalExists(Conflict):
    """The owner already has a portal of that name (a headless setup run a second time)."""

    code = ErrorCode.PORTAL_EXISTS


class AlreadyJoined(Conflict):
    """They have already joined: there is no invitation to resend."""

    code = ErrorCode.ALREADY_JOINED


class MemberNotDeactivated(Conflict):
    """Only a deactivated member can be reactivated; a pending one joins by accepting."""

    code = ErrorCode.MEMBER_NOT_DEACTIVATED


class NoInvitation(Conflict):
    """Their invitation was revoked: invite them again to send a new one."""

    code = ErrorCode.NO_INVITATION


class NoAddress(Conflict):
    """The contact has no email address or phone number to invite."""

    code = ErrorCode.NO_ADDRESS


class PortalLink(Conflict):
    """This is the portal's invite link: sign up through it rather than ask to join."""

    code = ErrorCode.PORTAL_LINK


class WorkspaceLink(Conflict):
    """This is a workspace link: ask to join the workspace rather than sign up."""

    code = ErrorCode.WORKSPACE_LINK


class NotAFlow(Conflict):
    """Only flow workspaces have roles and actions."""

    code = ErrorCode.NOT_A_FLOW


class RoleExists(Conflict):
    """The flow already has a role of that name."""

    code = ErrorCode.ROLE_EXISTS


class TeamExists(Conflict):
    """A team (or client group) of that name exists already in the portal: names are the same
    whatever their case and spacing; ``field`` is ``name``."""

    # The same name: ``kit.names``.

    code = ErrorCode.TEAM_EXISTS


class WorkspaceExists(Conflict):
    """A workspace of that name exists already in the portal: names are the same whatever their
    case and spacing; ``field`` is ``name``."""

    # The same name: ``kit.names``.

    code = ErrorCode.WORKSPACE_EXISTS


class ImportNotPreviewed(Conflict):
    """Only a previewed import can be started; this one failed or was cancelled."""

    code = ErrorCode.IMPORT_NOT_PREVIEWED


class AddressSuppressed(Conflict):
    """Mail to this address bounced for good or was marked as spam, so the portal no longer
    writes to it (its suppression list); an owner or admin can lift it."""

    code = ErrorCode.ADDRESS_SUPPRESSED


class Gone(DomainError):
    """It existed but no longer works (generic; every case below is more specific)."""

    status = 410
    code = ErrorCode.GONE
    title = "No longer valid"


class InvitationGone(Gone):
    """The invitation link can no longer be used: it was used already (then sign in), it
    expired, was withdrawn, or was replaced by a newer one; the message says which, who invited
    them and to which portal (its holder has the secret). A link of no invitation gets one
    answer that says nothing more."""

    code = ErrorCode.INVITATION_GONE

    def __init__(self, message: str, *, to_programs: str | None = None, **fields: Any) -> None:
        super().__init__(message, **fields)
        # What the API says instead of ``message`` (``api.errors.said_to``), when its next step
        # for a program is not a person's: an expired link's request endpoint.
        self.to_programs = to_programs


class InvitationNotGrantable(Gone):
    """Whoever sent the invitation can no longer grant what it offers (they were deactivated, or
    their role no longer allows it), so it cannot be accepted: ask an administrator to invite you
    again."""

    code = ErrorCode.INVITATION_NOT_GRANTABLE


class LinkGone(Gone):
    """The invite link no longer works: it expired, was refreshed, turned off or used up."""

    code = ErrorCode.LINK_GONE


class LinkUsedUp(Gone):
    """The invite link has just reached its maximum (sign-ups, or a workspace link's join requests)."""

    code = ErrorCode.LINK_USED_UP


class ConfirmationUsed(Gone):
    """The address is already confirmed: sign in instead."""

    code = ErrorCode.CONFIRMATION_USED


class ConfirmationReplaced(Gone):
    """A newer confirmation email was sent to this address: use the link in that one."""

    code = ErrorCode.CONFIRMATION_REPLACED


class ConfirmationExpired(Gone):
    """The confirmation link expired: sign up again through the invite link."""

    code = ErrorCode.CONFIRMATION_EXPIRED


class ConfirmationRemoved(Gone):
    """The portal's admins removed the sign-up: use a newer email, or ask for the link again."""

    code = ErrorCode.CONFIRMATION_REMOVED


class SignInLinkGone(Gone):
    """The sign-in link expired or was already used: ask for a new one."""

    code = ErrorCode.SIGN_IN_LINK_GONE


class PasswordResetGone(Gone):
    """The password reset link expired, was already used or was replaced: ask for a new one."""

    code = ErrorCode.PASSWORD_RESET_GONE


class TooLarge(DomainError):
    """The request's body is larger than Admit takes for it (``ADMIT_MAX_BODY_BYTES`` for JSON
    and forms; ``ADMIT_IMPORT_MAX_BYTES`` for an uploaded list): refused before it is read."""

    status = 413
    code = ErrorCode.TOO_LARGE
    title = "Too large"


class UnsupportedMediaType(DomainError):
    """The body is not of a kind the operation reads: one that takes JSON takes it sent with
    ``Content-Type: application/json`` (or none), not a form; an invitation import takes a
    multipart form (``multipart/form-data``) too. The detail says which it was sent as."""

    status = 415
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE
    title = "Unsupported media type"


class InternalError(DomainError):
    """Something failed inside Admit: a fault of ours, not of the request. It is logged under
    the reference the detail gives (the request's ``X-Request-ID``); try again, and if it goes
    on, give the reference to whoever runs Admit."""

    status = 500
    code = ErrorCode.INTERNAL_ERROR
    title = "Something went wrong"


class Busy(DomainError):
    """The server has more requests than it can take at once (the embedded SQLite database
    serves one at a time): retry after ``retry_after`` seconds (also the ``Retry-After`` header)."""

    status = 503
    code = ErrorCode.BUSY
    title = "Busy"

    @classmethod
    def serving(cls) -> Busy:
        """The server's own refusal when it takes no more at once (every connection in use, or
        SQLite's turn not given in time): try again in a second."""
        return cls("The server is busy; try again in a moment.", retry_after=1)


class HrSystemFailed(DomainError):
    """The HR system did not give its list (a refused key, an error, a timeout, data that is not
    what its API returns); the message names it and what it answered; ``retry_after`` when it
    asked Admit to wait."""

    status = 502
    code = ErrorCode.HR_SYSTEM_FAILED
    title = "The HR system failed"


class RateLimited(DomainError):
    """Too many attempts: wait ``retry_after`` seconds (also the ``Retry-After`` header)."""

    status = 429
    code = ErrorCode.RATE_LIMITED
    title = "Too many requests"


class RecipientRateLimited(RateLimited):
    """This person was sent as many messages as Admit sends one recipient in a minute or a day
    (``ADMIT_RECIPIENT_MINUTE_LIMIT``, ``ADMIT_RECIPIENT_DAY_LIMIT``): wait ``retry_after``."""

    code = ErrorCode.RECIPIENT_RATE_LIMITED
    # Why, and when to try again, of this one person (``notifications.service.limit_reached``):
    # what a result of several people's says of them, where the message says nothing was sent.
    why: str = ""


# A docstring's ``literal`` (reStructuredText): each face shows it as code its own way.
LITERAL = re.compile(r"``([^`]+)``")


def meaning_of(cls: type[DomainError]) -> str:
    """What a code means, and what to do: its class's docstring (the one place it is written),
    on one line, its ``literal`` parts as written (``LITERAL``)."""
    return " ".join((inspect.getdoc(cls) or "").split())


def documented() -> list[type[DomainError]]:
    """Every code's class, in the order the errors page and ``GET /api/v1/errors`` list them:
    by status, then as ``ErrorCode`` lists them."""
    return sorted((CLASSES[code] for code in ErrorCode), key=lambda cls: cls.status)
