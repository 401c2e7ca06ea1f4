"""Sign-in, browser sessions and API keys."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from admit.auth.models import ApiKey, WebSession
from admit.auth.passwords import verify_password
from admit.errors import NotAuthenticated
from admit.kit import clock
from admit.kit.tokens import hash_token, new_token
from admit.members.addresses import normalize_email
from admit.members.models import User

__all__ = [
    "api_key_from_token",
    "create_api_key",
    "end_all_sessions",
    "end_session",
    "login",
    "session_from_token",
    "start_session",
]

API_KEY_PREFIX = "adm_"


def login(session: Session, *, email: str, password: str) -> User:
    """Check an email and password; the same error whether the email is unknown or not."""
    normalized, _error = normalize_email(email or "")
    user = session.scalar(select(User).where(User.email == normalized)) if normalized else None
    ok = verify_password(user.password_hash if user else None, password or "")
    if user is None or not ok:
        raise NotAuthenticated("The email or password is incorrect.", code="invalid_credentials")
    return user


def start_session(
    session: Session, user: User, *, lifetime_hours: int, ip: str | None = None
) -> tuple[str, WebSession]:
    """Create a browser session; returns the raw cookie value (never stored) and the row."""
    raw = new_token()
    web_session = WebSession(
        token_hash=hash_token(raw),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=clock.now() + timedelta(hours=lifetime_hours),
        ip=ip,
    )
    session.add(web_session)
    session.flush()
    return raw, web_session


def session_from_token(session: Session, raw: str | None) -> WebSession | None:
    if not raw:
        return None
    row = session.scalar(select(WebSession).where(WebSession.token_hash == hash_token(raw)))
    if row is None or row.expires_at <= clock.now():
        return None
    return row


def end_session(session: Session, raw: str | None) -> None:
    if raw:
        session.execute(delete(WebSession).where(WebSession.token_hash == hash_token(raw)))


def end_all_sessions(session: Session, user_id) -> int:
    """Sign a user out everywhere (used on deactivation)."""
    return session.execute(delete(WebSession).where(WebSession.user_id == user_id)).rowcount


def create_api_key(
    session: Session, *, portal_id, name: str, role: str = "admin", created_by_id=None
) -> tuple[str, ApiKey]:
    """Create an API key; the raw key is returned once and only its hash is kept."""
    prefix = secrets.token_hex(4)
    raw = f"{API_KEY_PREFIX}{prefix}_{new_token()}"
    key = ApiKey(
        portal_id=portal_id,
        name=name,
        prefix=prefix,
        key_hash=hash_token(raw),
        role=role,
        created_by_id=created_by_id,
    )
    session.add(key)
    session.flush()
    return raw, key


def api_key_from_token(session: Session, raw: str) -> ApiKey | None:
    if not raw.startswith(API_KEY_PREFIX):
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_token(raw)))
    if key is None or key.revoked_at is not None:
        return None
    return key
