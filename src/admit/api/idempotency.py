"""``Idempotency-Key`` on the API's operations that do something a retry must not do twice (send
an invitation or a message, start a bulk action): an operation takes ``Idempotent`` and runs its
work through it; a retry is answered what the first request was, with ``Idempotent-Replayed:
true``, and nothing is done again. The rules are ``idempotency.service``'s; this is how an
operation takes them. The OpenAPI document shows the header on each such operation (FastAPI, from
the dependency) and its 422 ``idempotency_key_reused`` (``api.openapi.describe``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from admit.actor import Actor
from admit.errors import DomainError
from admit.idempotency import service as idempotency
from admit.kit.routing import answer_written

T = TypeVar("T")

KEPT_HOURS = round(idempotency.KEPT.total_seconds() / 3600)
DESCRIBED = (
    f"A key of yours, 1 to {idempotency.MAX_KEY} characters (a UUID), that makes a retry safe: the"
    f" same request again with the same key, within {KEPT_HOURS} hours, is answered what the first was"
    f" (its status and body, with the header `{idempotency.REPLAYED_HEADER}: true`) and nothing is"
    " done again. The same key with another request (another operation, path or body) is 422"
    " `idempotency_key_reused`. A refused request (4xx) keeps no key: its retry runs again. A key"
    " is its caller's own (the API key, or the signed-in user)."
)


class Idempotent:
    """The request's ``Idempotency-Key`` (None: no header) and what runs work under it."""

    __slots__ = ("key", "request", "response")

    def __init__(self, request: Request, response: Response, key: str | None) -> None:
        self.request = request
        self.response = response  # FastAPI's, for the operation: its status and headers
        self.key = key

    def __call__(
        self, session: Session, actor: Actor, work: Callable[[], T], *, body: BaseModel | None = None
    ) -> T | Response:
        """``work()``, the operation's, under the key. Without the header, just that (nothing read
        or written besides). With it: the earlier answer to the same request, replayed, and no
        work; or the work, and its answer (as the route writes it out) kept with the key, in the
        same transaction. ``body``: the request's, part of what makes it the same request."""
        key = idempotency.checked_key(self.key)
        if key is None:
            return work()
        caller_id = actor.caller_id
        assert caller_id is not None  # the API's callers: an API key, or a signed-in user
        claimed = idempotency.claim(
            session,
            portal_id=actor.portal.id,
            caller_id=caller_id,
            key=key,
            method=self.request.method,
            path=self.request.url.path,
            body=body.model_dump_json() if body is not None else "",
        )
        if isinstance(claimed, idempotency.Answer):
            return Response(
                content=claimed.body,
                status_code=claimed.status,
                media_type="application/json",
                headers={idempotency.REPLAYED_HEADER: "true"},
            )
        try:
            answer = work()
        except DomainError as exc:
            if exc.keeps_work:  # committed, but not this request's answer: the key is not kept
                idempotency.release(session, claimed)
            raise
        written = answer_written(answer, self.response)
        if written is None:
            raise TypeError(f"{self.request.url.path}: its route does not write out {type(answer).__name__}")
        idempotency.record(session, claimed, status=written.status_code, body=bytes(written.body).decode())
        return written


async def idempotent(
    request: Request,
    response: Response,
    key: Annotated[str | None, Header(alias=idempotency.HEADER, description=DESCRIBED)] = None,
) -> Idempotent:
    """``IdempotentDep``: on the event loop (it reads only the headers); the key is checked when
    the work runs, after who calls is known (401 before 422)."""
    return Idempotent(request, response, key)


IdempotentDep = Annotated[Idempotent, Depends(idempotent)]
