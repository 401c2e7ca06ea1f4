"""HR connections and their runs, stored: the key sealed at rest, the options checked, the
last list kept for the next comparison, runs queued, claimed and finished.

What a run *does* in the portal (invite, deactivate, rename) is ``flows.hr_sync``; what it
would do is ``directory.hr.plan``; reading the system is the adapter's (``providers``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.orm import Session

from admit import context, policy
from admit.actor import Actor, hr_words
from admit.audit import service as audit_service
from admit.db import let_go, rowcount
from admit.directory.hr import providers
from admit.directory.hr.base import Credentials, Provider
from admit.directory.hr.fetch import PRIVATE_HINT, Fetcher
from admit.directory.hr.plan import Seen
from admit.directory.models import HrConnection, HrEmployee, HrSyncRun
from admit.errors import Checks, Conflict, HrConnectionNotFound, InvalidInput, at_most_characters
from admit.kit import netguard, secretbox
from admit.kit.pagination import count_all, page
from admit.members.addresses import normalize_domains

__all__ = [
    "SCHEDULES",
    "Asked",
    "actor_label",
    "actor_words",
    "audit",
    "claim_run",
    "dismiss_run",
    "due",
    "connection_by_id",
    "run_by_id",
    "retry_or_fail",
    "finish_run",
    "check_connect",
    "connect",
    "count_connections",
    "count_runs",
    "credentials",
    "disconnect",
    "fetcher",
    "get_or_raise",
    "get_run_or_raise",
    "list_connections",
    "list_runs",
    "heading_of",
    "name_of",
    "provider_of",
    "queue_due",
    "queue_run",
    "save_seen",
    "seen_of",
    "still_ours",
    "update_connection",
]

SCHEDULES = {"off": None, "hourly": timedelta(hours=1), "daily": timedelta(days=1)}
NEW_HIRES = ("invite", "quiet")
# The longest key, account and list address a connection keeps (characters).
MAX_API_KEY, MAX_ACCOUNT, MAX_BASE_URL = 4000, 200, 500
QUEUED, RUNNING, DONE, FAILED, WAITING = "queued", "running", "done", "failed", "waiting"
DISMISSED, SUPERSEDED = "dismissed", "superseded"
OPEN = (QUEUED, RUNNING)  # a waiting run does not hold auto-pilot back: the next run supersedes it
LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 5
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_RETRY_AFTER = timedelta(hours=6)


def _seal(session: Session, plain: str) -> str:
    return secretbox.seal_with(context.of(session).settings, plain)


def _hint(api_key: str) -> str:
    return api_key[-4:] if len(api_key) >= 12 else ""


def provider_of(key: str) -> Provider:
    provider = providers.get(key)
    if provider is None:
        raise InvalidInput(
            f"Choose one of: {', '.join(p.title for p in providers.PROVIDERS.values())}.", field="provider"
        )
    return provider


def _system(provider: Provider | None) -> str:
    """The system a connection reads, by its title ("BambooHR"); "" for a list at a URL ("JSON/CSV
    URL" is the kind of connection, not which one)."""
    return provider.title if provider is not None and provider.default_base_url else ""


def name_of(conn: HrConnection) -> str:
    """How the pages and a sync's words name a connection: its system ("BambooHR"), or for a
    list at a URL, where it is ("the HR list at 127.0.0.1:8851"). Mid-sentence; ``heading_of``
    starts a line."""
    return hr_words(_system(providers.get(conn.provider)), urlsplit(conn.base_url or "").netloc)


# How a sync labels what it does in the audit log (``Actor.shown_as``): ``hr:bamboohr``.
_ACTOR_PREFIX = "hr:"


def actor_label(provider: str) -> str:
    """The actor label of a sync from the system ``provider`` (its key): ``hr:bamboohr``."""
    return _ACTOR_PREFIX + provider


def actor_words(label: str) -> str | None:
    """How words name the sync an actor label is, at the start of a line: "BambooHR sync" (its
    system's title), "The HR list sync" (a list at a URL: the label keeps no address); None for
    any other label (one of a system Admit no longer reads included)."""
    if not label.startswith(_ACTOR_PREFIX):
        return None
    provider = providers.get(label.removeprefix(_ACTOR_PREFIX))
    if provider is None:
        return None
    words = hr_words(_system(provider), "") + " sync"
    return words[:1].upper() + words[1:]


def heading_of(conn: HrConnection) -> str:
    """``name_of`` at the start of a line or a heading: "The HR list at 127.0.0.1:8851"."""
    name = name_of(conn)
    return name[:1].upper() + name[1:]


def _check_base_url(session: Session, provider: Provider, base_url: str) -> str:
    base_url = (base_url or "").strip()
    if not base_url:
        if not provider.default_base_url:
            raise InvalidInput(f"{provider.title} needs the URL of the list.", field="base_url")
        return ""
    if len(base_url) > MAX_BASE_URL:
        raise InvalidInput(at_most_characters(MAX_BASE_URL, base_url), field="base_url")
    settings = context.of(session).settings
    let_go(session)  # the lookup (DNS: perhaps seconds) is waited for with no transaction open
    try:
        netguard.resolve(
            base_url,
            allow_private=settings.directory_allow_private,
            require_https=settings.environment == "production",
        )
    except netguard.Unresolved:
        pass  # perhaps for a moment: reading the list says so (a connect reads it at once)
    except netguard.Private as exc:
        raise InvalidInput(f"{exc} {PRIVATE_HINT}", field="base_url") from exc
    except netguard.Refused as exc:
        raise InvalidInput(str(exc), field="base_url") from exc
    return base_url


def _check_account(provider: Provider, account: str) -> str:
    account = (account or "").strip()
    if provider.account_label and not account:
        raise InvalidInput(f"Enter the {provider.account_label}.", field="account")
    if len(account) > MAX_ACCOUNT:
        raise InvalidInput(at_most_characters(MAX_ACCOUNT, account), field="account")
    return account


def _check_api_key(provider: Provider, api_key: str) -> str:
    api_key = (api_key or "").strip()
    if not api_key and provider.default_base_url:
        raise InvalidInput(f"Enter the {provider.api_key_label}.", field="api_key")
    if len(api_key) > MAX_API_KEY:
        raise InvalidInput(at_most_characters(MAX_API_KEY, api_key), field="api_key")
    return api_key


def _check_option(key: str, value: Any) -> Any:
    """One option as a connection keeps it (user type, role and products are checked by the
    caller, with the pipeline's rules)."""
    if key == "schedule" and value not in SCHEDULES:
        raise InvalidInput("The schedule is off, hourly or daily.")
    if key == "new_hires" and value not in NEW_HIRES:
        raise InvalidInput("New hires are invited or added quietly (invite or quiet).")
    if key == "deactivate_limit_pct" and not 0 <= int(value) <= 100:
        raise InvalidInput("The share is a percentage from 0 to 100.")
    return value


def _checked_options(options: dict[str, Any], checks: Checks) -> dict[str, Any]:
    """The options given (None: not given), each checked; a fault is noted under its name."""
    checked: dict[str, Any] = {}
    for key, value in options.items():
        if key == "allowed_domains" and value is not None:  # each bad one said, not only the first
            checked[key] = sorted(set(normalize_domains(value, checks, blanks=False)))
        elif value is not None:
            with checks.of(key):
                checked[key] = _check_option(key, value)
    return checked


def _set_options(session: Session, conn: HrConnection, options: dict[str, Any]) -> dict[str, Any]:
    """Write the options (checked: ``_checked_options``). Returns what changed."""
    changed: dict[str, Any] = {}
    for key, value in options.items():
        if getattr(conn, key) != value:
            changed[key] = value
            setattr(conn, key, value)
    if "schedule" in changed:
        every = SCHEDULES[conn.schedule]
        conn.next_sync_at = context.of(session).clock.now() if every else None
    return changed


@dataclass(frozen=True, slots=True)
class Asked:
    """A connection as an admin asked for it, every field checked (``check_connect``); not kept
    until ``connect``. Between the two, its list may be read (``credentials``) with no
    transaction open."""

    provider: Provider
    account: str
    base_url: str
    api_key: str
    options: dict[str, Any]

    @property
    def credentials(self) -> Credentials:
        return Credentials(api_key=self.api_key, account=self.account, base_url=self.base_url)


def check_connect(
    session: Session,
    actor: Actor,
    *,
    provider: str,
    api_key: str,
    account: str = "",
    base_url: str = "",
    fields_granted: bool,
    options: dict[str, Any],
    faults: Checks | None = None,
) -> Asked:
    """Check a connection an admin asks for: the fields it reads granted, its key given. Writes
    nothing and reads no table; the URL's host is looked up with no transaction open
    (``db.let_go``).

    Every field is checked before any is refused, so a form says all that is wrong at once;
    ``faults``: what the caller found wrong in the same request (the invitation options), said
    after these."""
    policy.require(actor.role, policy.Action.HR_MANAGE)
    checks = Checks()  # in the order the connect page asks
    p: Provider | None = None
    with checks.of("provider"):
        p = provider_of(provider)
    with checks.of("fields_granted"):
        if not fields_granted:
            raise InvalidInput("Grant Admit read access to the fields listed to connect.")
    if p is not None:  # what the system needs
        with checks.of("account"):
            account = _check_account(p, account)
        with checks.of("base_url"):
            base_url = _check_base_url(session, p, base_url)
        with checks.of("api_key"):
            api_key = _check_api_key(p, api_key)
    checked = _checked_options(options, checks)
    checks.extend(faults)
    checks.done()
    assert p is not None  # an unknown provider was refused above
    return Asked(provider=p, account=account, base_url=base_url, api_key=api_key, options=checked)


def connect(session: Session, actor: Actor, asked: Asked) -> HrConnection:
    """Connect an HR system as asked (``check_connect``): the key sealed, the options set."""
    policy.require(actor.role, policy.Action.HR_MANAGE)
    p = asked.provider
    conn = HrConnection(
        portal_id=actor.portal.id,
        provider=p.key,
        account=asked.account,
        base_url=asked.base_url,
        api_key_sealed=_seal(session, asked.api_key),
        api_key_hint=_hint(asked.api_key),
        fields_granted_at=context.of(session).clock.now(),
        created_by_id=actor.user_id,
        products=[],
        allowed_domains=[],
    )
    session.add(conn)
    _set_options(session, conn, asked.options)
    session.flush()
    audit(session, actor, conn, "hr.connected", {"provider": p.key, "fields": list(p.fields)})
    return conn


def update_connection(
    session: Session,
    actor: Actor,
    conn: HrConnection,
    *,
    api_key: str | None = None,
    account: str | None = None,
    base_url: str | None = None,
    options: dict[str, Any],
    faults: Checks | None = None,
) -> HrConnection:
    """Change a connection's options, or replace its key (the old one is forgotten). Every
    value given is checked before anything changes; ``faults`` as for ``connect``."""
    policy.require(actor.role, policy.Action.HR_MANAGE)
    p = provider_of(conn.provider)
    checks = Checks()
    new_account = account is not None and account.strip() != conn.account
    new_base_url = base_url is not None and base_url.strip() != conn.base_url
    new_key = api_key is not None and bool(api_key.strip())
    if new_account:
        with checks.of("account"):
            account = _check_account(p, account or "")
    if new_base_url:
        with checks.of("base_url"):
            base_url = _check_base_url(session, p, base_url or "")
    with checks.of("api_key"):
        if new_key:
            api_key = _check_api_key(p, api_key or "")
        elif new_account or new_base_url:
            # The key is sent only where it was given for: another address or account needs it again.
            raise InvalidInput(f"Enter the {p.api_key_label} again to change where Admit reads the list.")
    checked = _checked_options(options, checks)
    checks.extend(faults)
    checks.done()
    if new_base_url:  # looked up with no transaction open: what is changed is read again
        conn = _read_again(session, conn)
    changed = _set_options(session, conn, checked)
    if new_key:
        conn.api_key_sealed, conn.api_key_hint = _seal(session, api_key or ""), _hint(api_key or "")
        changed["api_key"] = "replaced"
    if new_account:
        conn.account = changed["account"] = account or ""
    if new_base_url:
        conn.base_url = changed["base_url"] = base_url or ""
    if changed:
        conn.updated_at = context.of(session).clock.now()
        audit(session, actor, conn, "hr.connection_changed", dict(changed))
    session.flush()
    return conn


def disconnect(session: Session, actor: Actor, conn: HrConnection) -> None:
    """Forget the connection, its key and its runs; the people it brought stay as they are."""
    policy.require(actor.role, policy.Action.HR_MANAGE)
    audit(session, actor, conn, "hr.disconnected")
    session.delete(conn)
    session.flush()


def audit(
    session: Session, actor: Actor, conn: HrConnection, action: str, detail: dict[str, Any] | None = None
) -> None:
    """Record what was done to or by an HR connection, as the audit log names it (its system)."""
    audit_service.record(
        session,
        actor,
        action,
        target_type="hr_connection",
        target_id=conn.id,
        target_label=provider_of(conn.provider).title,
        detail=detail,
    )


def get_or_raise(session: Session, actor: Actor, connection_id: uuid.UUID) -> HrConnection:
    policy.require(actor.role, policy.Action.HR_MANAGE)
    conn = session.get(HrConnection, connection_id)
    if conn is None or conn.portal_id != actor.portal.id:
        raise HrConnectionNotFound("No such HR connection in this portal.")
    return conn


def _read_again(session: Session, conn: HrConnection) -> HrConnection:
    """``conn`` as the database has it now (another admin may have changed or removed it)."""
    fresh = session.get(HrConnection, conn.id, populate_existing=True)
    if fresh is None:
        raise HrConnectionNotFound("No such HR connection in this portal.")
    return fresh


def connection_by_id(session: Session, connection_id: uuid.UUID) -> HrConnection | None:
    return session.get(HrConnection, connection_id)


def run_by_id(session: Session, run_id: uuid.UUID) -> HrSyncRun | None:
    return session.get(HrSyncRun, run_id)


def list_connections(
    session: Session, actor: Actor, *, cursor: str | None = None, limit: int = 100
) -> tuple[list[HrConnection], str | None]:
    """The portal's connections in the order they were made: ``(connections, next_cursor)``."""
    policy.require(actor.role, policy.Action.HR_MANAGE)
    query = select(HrConnection).where(HrConnection.portal_id == actor.portal.id)
    return page(session, query, HrConnection, cursor=cursor, limit=limit, oldest_first=True)


def count_connections(session: Session, actor: Actor) -> int:
    """How many connections ``list_connections`` gives, over all its pages."""
    policy.require(actor.role, policy.Action.HR_MANAGE)
    return count_all(session, [select(HrConnection).where(HrConnection.portal_id == actor.portal.id)])


def credentials(session: Session, conn: HrConnection) -> Credentials:
    """The connection's key, unsealed for one request; ``SealBroken`` when the encryption key
    changed (the admin enters the key again)."""
    key = secretbox.open_with(context.of(session).settings, conn.api_key_sealed)
    return Credentials(api_key=key, account=conn.account, base_url=conn.base_url)


def fetcher(session: Session, provider: Provider) -> Fetcher:
    s = context.of(session).settings
    return Fetcher(
        provider.title,
        key_label=provider.api_key_label,
        allow_private=s.directory_allow_private,
        timeout_seconds=s.hr_timeout_seconds,
        require_https=s.environment == "production",
    )


# ---- the last list -----------------------------------------------------------------------------


def seen_of(session: Session, connection_id: uuid.UUID) -> dict[str, Seen]:
    rows = session.execute(
        select(
            HrEmployee.external_id,
            HrEmployee.address,
            HrEmployee.name,
            HrEmployee.department,
            HrEmployee.active,
            HrEmployee.start_date,
            HrEmployee.end_date,
            HrEmployee.team,
            HrEmployee.managed,
        ).where(HrEmployee.connection_id == connection_id)
    )
    return {r[0]: Seen(*r) for r in rows}


def save_seen(session: Session, connection_id: uuid.UUID, rows: Iterable[Seen], gone: Iterable[str]) -> int:
    """Write the employees whose row changed (and forget those gone from the list); the caller
    passes only rows that differ from the last, so an unchanged list writes nothing. The one
    place a connection records whom it manages (``Seen.managed``, ``HrEmployee.managed``)."""
    now = context.of(session).clock.now()
    rows = list(rows)
    ids = [r.external_id for r in rows] + list(gone)
    for i in range(0, len(ids), 1000):
        session.execute(
            delete(HrEmployee).where(
                HrEmployee.connection_id == connection_id, HrEmployee.external_id.in_(ids[i : i + 1000])
            )
        )
    values = [
        {
            "id": uuid.uuid4(),
            "connection_id": connection_id,
            "external_id": r.external_id,
            "address": r.address,
            "name": r.name[:200],
            "department": r.department[:200],
            "active": r.active,
            "start_date": r.start_date,
            "end_date": r.end_date,
            "team": r.team[:200],
            "managed": r.managed,
            "updated_at": now,
        }
        for r in rows
    ]
    for i in range(0, len(values), 5000):
        session.execute(HrEmployee.__table__.insert(), values[i : i + 5000])
    return len(values)


# ---- runs --------------------------------------------------------------------------------------


def queue_run(
    session: Session,
    conn: HrConnection,
    *,
    trigger: str,
    started_by_id: uuid.UUID | None = None,
    selection: list[str] | None = None,
    confirmed: bool = False,
    options: dict[str, Any] | None = None,
) -> HrSyncRun:
    run = HrSyncRun(
        options=options,
        connection_id=conn.id,
        portal_id=conn.portal_id,
        trigger=trigger,
        started_by_id=started_by_id,
        selection=selection,
        confirmed=confirmed,
        not_before=context.of(session).clock.now(),
        counts={},
        report=[],
    )
    session.add(run)
    session.flush()
    return run


def _scheduled(now: datetime) -> ColumnElement[bool]:
    """A connection whose auto-pilot schedule is due."""
    return HrConnection.next_sync_at.is_not(None) & (HrConnection.next_sync_at <= now)


def _claimable(now: datetime) -> ColumnElement[bool]:
    """A run queued and due, or left by a worker that died (its lease ran out)."""
    return or_(
        (HrSyncRun.status == QUEUED) & (HrSyncRun.not_before <= now),
        (HrSyncRun.status == RUNNING) & (HrSyncRun.lease_until < now),
    )


def due(now: datetime) -> ColumnElement[bool]:
    """Whether ``queue_due`` or ``claim_run`` at ``now`` would find work (a connection whose
    schedule is due, a run to claim or to give up), as EXISTS (``jobs.Worker.due``)."""
    return or_(
        select(HrConnection.id).where(_scheduled(now)).exists(),
        select(HrSyncRun.id).where(_claimable(now)).exists(),
    )


def queue_due(session: Session) -> int:
    """Auto-pilot: a run for each connection whose schedule is due (and has none open). The
    next time is moved on by a conditional update, so two workers queue it once."""
    now = context.of(session).clock.now()
    due = session.scalars(select(HrConnection).where(_scheduled(now)).limit(100)).all()
    queued = 0
    for conn in due:
        every = SCHEDULES.get(conn.schedule)
        moved = rowcount(
            session.execute(
                update(HrConnection)
                .where(HrConnection.id == conn.id, HrConnection.next_sync_at == conn.next_sync_at)
                .values(next_sync_at=now + every if every else None)
                .execution_options(synchronize_session=False)
            )
        )
        if moved != 1 or every is None:
            continue
        open_run = session.scalar(
            select(HrSyncRun.id)
            .where(HrSyncRun.connection_id == conn.id, HrSyncRun.status.in_(OPEN))
            .limit(1)
        )
        if open_run is None:
            _supersede_waiting(session, conn)
            queue_run(session, conn, trigger="schedule")
            queued += 1
    return queued


def _supersede_waiting(session: Session, conn: HrConnection) -> None:
    """A new run makes a run that waits for confirmation moot: it plans again from the list as
    it is now (and waits again if it must)."""
    session.execute(
        update(HrSyncRun)
        .where(HrSyncRun.connection_id == conn.id, HrSyncRun.status == WAITING)
        .values(status=SUPERSEDED, finished_at=context.of(session).clock.now())
        .execution_options(synchronize_session=False)
    )


def dismiss_run(session: Session, actor: Actor, conn: HrConnection, run: HrSyncRun) -> HrSyncRun:
    """An admin turns down a run that waits for confirmation: nothing of it is applied."""
    policy.require(actor.role, policy.Action.HR_MANAGE)
    if run.status != WAITING:
        raise Conflict(f"This run is {run.status}: only a run waiting for confirmation can be dismissed.")
    run.status, run.finished_at = DISMISSED, context.of(session).clock.now()
    if conn.status == "waiting":
        conn.status = "ok"
    audit(session, actor, conn, "hr.sync_dismissed", {"run": str(run.id)})
    session.flush()
    return run


def claim_run(session: Session) -> HrSyncRun | None:
    """A queued run that is due (or a running one whose worker died), now this worker's."""
    now = context.of(session).clock.now()
    # A run whose worker died holding it as often as it may be tried is given up.
    session.execute(
        update(HrSyncRun)
        .where(HrSyncRun.status == RUNNING, HrSyncRun.lease_until < now, HrSyncRun.attempts >= MAX_ATTEMPTS)
        .values(
            status=FAILED, finished_at=now, lease_until=None, error="Given up: it stopped halfway too often."
        )
        .execution_options(synchronize_session=False)
    )
    candidates = session.scalars(
        select(HrSyncRun.id).where(_claimable(now)).order_by(HrSyncRun.not_before).limit(5)
    ).all()
    for run_id in candidates:
        moved = rowcount(
            session.execute(
                update(HrSyncRun)
                .where(
                    HrSyncRun.id == run_id,
                    or_(
                        HrSyncRun.status == QUEUED,
                        (HrSyncRun.status == RUNNING) & (HrSyncRun.lease_until < now),
                    ),
                )
                .values(status=RUNNING, lease_until=now + LEASE, attempts=HrSyncRun.attempts + 1)
                .execution_options(synchronize_session=False)
            )
        )
        if moved == 1:
            return session.get(HrSyncRun, run_id, populate_existing=True)
    return None


def still_ours(session: Session, run_id: uuid.UUID, claim: int) -> HrSyncRun | None:
    """The run if this worker's claim (``attempts`` when it was claimed) still holds it, with a
    fresh lease; None when another worker has claimed it since. The conditional update locks
    the row until the caller's transaction ends."""
    now = context.of(session).clock.now()
    moved = rowcount(
        session.execute(
            update(HrSyncRun)
            .where(HrSyncRun.id == run_id, HrSyncRun.status == RUNNING, HrSyncRun.attempts == claim)
            .values(lease_until=now + LEASE)
            .execution_options(synchronize_session=False)
        )
    )
    return session.get(HrSyncRun, run_id, populate_existing=True) if moved == 1 else None


def retry_or_fail(
    session: Session,
    run: HrSyncRun,
    conn: HrConnection,
    message: str,
    retry_after: float | None,
    *,
    final: bool = False,
) -> None:
    """The list could not be read (or the run not applied): nothing applied; tried again after
    a backoff (or the system's Retry-After), up to ``MAX_ATTEMPTS``, unless ``final`` (a refused
    key or URL: trying again cannot help, and may get the key locked); the connection shows the
    error meanwhile."""
    now = context.of(session).clock.now()
    conn.status, conn.last_error = "failing", message
    run.error = message
    run.lease_until = None
    if final or run.attempts >= MAX_ATTEMPTS:
        run.status, run.finished_at = FAILED, now
    else:
        wait = BACKOFF[min(run.attempts, len(BACKOFF)) - 1]
        if retry_after:
            wait = max(wait, min(timedelta(seconds=retry_after), MAX_RETRY_AFTER))
        run.status, run.not_before = QUEUED, now + wait
    session.flush()


def finish_run(
    session: Session,
    run: HrSyncRun,
    conn: HrConnection,
    *,
    status: str,
    counts: dict[str, int],
    report: list[dict[str, Any]],
    at: datetime,
    error: str | None = None,
) -> None:
    """A run applied (``done``), or waiting for an admin (``waiting``, ``error`` saying why)."""
    run.status, run.counts, run.report, run.lease_until = status, counts, report, None
    run.error = error
    if status == DONE:
        run.finished_at = at
        conn.status, conn.last_error, conn.last_sync_at = "ok", None, at
    else:  # waiting for an admin
        conn.status = "waiting"
    session.flush()


def get_run_or_raise(
    session: Session, actor: Actor, connection_id: uuid.UUID, run_id: uuid.UUID
) -> tuple[HrConnection, HrSyncRun]:
    """The portal's connection and one of its runs (``get_or_raise`` checks who asks)."""
    conn = get_or_raise(session, actor, connection_id)
    run = session.get(HrSyncRun, run_id)
    if run is None or run.connection_id != conn.id:
        raise HrConnectionNotFound("No such sync run for this connection.")
    return conn, run


def list_runs(
    session: Session, actor: Actor, conn: HrConnection, *, cursor: str | None = None, limit: int = 100
) -> tuple[list[HrSyncRun], str | None]:
    """A connection's runs, newest first: ``(runs, next_cursor)``."""
    policy.require(actor.role, policy.Action.HR_MANAGE)
    query = select(HrSyncRun).where(HrSyncRun.connection_id == conn.id)
    return page(session, query, HrSyncRun, cursor=cursor, limit=limit)


def count_runs(session: Session, actor: Actor, conn: HrConnection) -> int:
    """How many runs ``list_runs`` gives, over all its pages."""
    policy.require(actor.role, policy.Action.HR_MANAGE)
    return count_all(session, [select(HrSyncRun).where(HrSyncRun.connection_id == conn.id)])
