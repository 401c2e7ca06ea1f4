"""Local stand-ins for the HR systems, answering as their public API documentation says: the same
JSON shapes, paging, authentication check and error bodies (see each adapter's docstring for
the pages followed). ``serve(provider)`` runs one on 127.0.0.1 for the length of a ``with``.

A test sets ``fake.people`` (what the system holds) and ``fake.fail`` (how it misbehaves):
"401"/"403" (the system's error body), "429"/"500"/"503" (with ``retry_after`` as Retry-After),
"timeout" (sleeps ``delay_seconds`` before answering), "malformed" (a 200 whose body is not the
documented shape) and "page_missing": Personio and generic JSON always serve at least two pages
then, and the second is lost (Personio: it comes back empty while the metadata still promises
the rest; generic: it answers 500); BambooHR and HiBob, which answer in one piece, send a body
cut off mid-JSON (as by a proxy that gave up); a generic CSV download breaks halfway.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from admit.directory.hr.base import Credentials

__all__ = ["FakeHR", "Person", "running", "serve"]

Reply = tuple[int, dict[str, str], bytes]


@dataclass
class Person:  # the canonical record the fakes render in each system's format
    id: str
    first_name: str
    last_name: str
    email: str = ""  # work email; "" = none
    phone: str = ""
    department: str = ""
    manager_email: str = ""
    active: bool = True
    start_date: date | None = None
    end_date: date | None = None


@dataclass
class FakeHR:
    provider: str  # "bamboohr" | "personio" | "hibob" | "generic"
    base_url: str = ""  # http://127.0.0.1:<port>[/path] to pass as Credentials.base_url
    credentials: Credentials = field(default_factory=lambda: Credentials(api_key=""))
    people: list[Person] = field(default_factory=list)
    fail: str | None = None
    retry_after: int | None = None  # sent with 429/503 when set
    delay_seconds: float = 2.0  # with fail="timeout", how long the server sleeps before answering
    page_size: int = 0  # personio: the most a page holds (200); generic: people per JSON page (500)
    requests: int = 0  # how many requests it answered
    generic_format: str = "json"  # "json" | "csv" (generic only)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _token: str = field(default_factory=lambda: f"papi-{secrets.token_hex(16)}", repr=False)


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
    return status, {"content-type": "application/json", **(headers or {})}, json.dumps(body).encode()


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _basic(header: str) -> tuple[str, str]:
    try:
        user, _, password = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
    except ValueError:
        return "", ""
    return user, password


def _cut(reply: Reply) -> Reply:
    status, headers, body = reply
    return status, headers, body[: max(1, len(body) // 2)]


# ---- each system's own error body --------------------------------------------------------------


def _error(fake: FakeHR, status: int, message: str) -> Reply:
    extra = {"retry-after": str(fake.retry_after)} if fake.retry_after and status in (429, 503) else {}
    if fake.provider == "bamboohr":  # an empty body; the reason in a header
        return status, {"x-bamboohr-error-message": message, **extra}, b""
    if fake.provider == "personio":
        return _json(status, {"success": False, "error": {"code": status, "message": message}}, extra)
    return _json(status, {"error": message}, extra)  # HiBob and the generic URL


# ---- BambooHR: POST /api/gateway.php/{company}/v1/reports/custom?format=JSON ------------------


def _bamboohr(
    fake: FakeHR, method: str, path: str, query: dict[str, str], headers: Any, body: bytes
) -> Reply:
    if method != "POST" or path != f"/api/gateway.php/{fake.credentials.account}/v1/reports/custom":
        return _error(fake, 404, "Not found")
    if _basic(headers.get("authorization", ""))[0] != fake.credentials.api_key:
        return _error(fake, 401, "Invalid API key")
    if headers.get("content-type") != "application/json" or query.get("format", "").lower() != "json":
        return _error(fake, 400, "Malformed XML")
    fields = json.loads(body).get("fields", [])
    by_email = {p.email: p for p in fake.people if p.email}
    rows = []
    for p in fake.people:
        boss = by_email.get(p.manager_email)
        row = {
            "id": p.id,
            "firstName": p.first_name,
            "lastName": p.last_name,
            "preferredName": None,
            "workEmail": p.email or None,
            "workPhone": p.phone or None,
            "mobilePhone": None,
            "department": p.department or None,
            "supervisorEmail": p.manager_email or None,
            "supervisor": f"{boss.last_name}, {boss.first_name}" if boss else None,
            "status": "Active" if p.active else "Inactive",
            "hireDate": _iso(p.start_date) or "0000-00-00",
            "terminationDate": _iso(p.end_date) or "0000-00-00",
        }
        rows.append({k: v for k, v in row.items() if k in fields})
    if fake.fail == "malformed":
        return _json(200, {"title": "Admit HR sync", "fields": [], "employees": {"count": len(rows)}})
    reply = _json(200, {"title": "Admit HR sync", "fields": [{"id": f} for f in fields], "employees": rows})
    return _cut(reply) if fake.fail == "page_missing" else reply


# ---- Personio: POST /v1/auth, then GET /v1/company/employees?limit=&offset= -------------------


def _attribute(label: str, value: Any, universal_id: str | None, kind: str = "standard") -> dict[str, Any]:
    return {"label": label, "value": value, "type": kind, "universal_id": universal_id}


def _personio_employee(p: Person, by_email: dict[str, Person]) -> dict[str, Any]:
    status = (
        "inactive"
        if not p.active
        else "onboarding"
        if p.start_date and p.start_date > date.today()
        else "active"
    )
    boss = by_email.get(p.manager_email)
    supervisor = None
    if p.manager_email:
        supervisor = {
            "type": "Employee",
            "attributes": {
                "id": _attribute("ID", int(boss.id) if boss and boss.id.isdigit() else 0, "id", "integer"),
                "first_name": _attribute("First name", boss.first_name if boss else "", "first_name"),
                "last_name": _attribute("Last name", boss.last_name if boss else "", "last_name"),
                "email": _attribute("Email", p.manager_email, "email"),
            },
        }
    department = {
        "type": "Department",
        "attributes": {"id": abs(hash(p.department)) % 10**6, "name": p.department},
    }
    hire = f"{p.start_date.isoformat()}T00:00:00+01:00" if p.start_date else None
    end = f"{p.end_date.isoformat()}T00:00:00+01:00" if p.end_date else None
    return {
        "type": "Employee",
        "attributes": {
            "id": _attribute("ID", int(p.id) if p.id.isdigit() else p.id, "id", "integer"),
            "first_name": _attribute("First name", p.first_name, "first_name"),
            "last_name": _attribute("Last name", p.last_name, "last_name"),
            "preferred_name": _attribute(
                "Name (preferred)", f"{p.first_name} {p.last_name}", "preferred_name"
            ),
            "email": _attribute("Email", p.email or None, "email"),
            "status": _attribute("Status", status, "status"),
            "supervisor": _attribute("Supervisor", supervisor, "supervisor"),
            "hire_date": _attribute("Hire date", hire, "hire_date", "date"),
            "termination_date": _attribute("Termination date", end, "termination_date", "date"),
            "department": _attribute("Department", department if p.department else None, "department"),
            "dynamic_4711": _attribute("Work phone", p.phone or None, "work_phone"),
        },
    }


def _personio(
    fake: FakeHR, method: str, path: str, query: dict[str, str], headers: Any, body: bytes
) -> Reply:
    if method == "POST" and path == "/v1/auth":
        given = json.loads(body or b"{}")
        c = fake.credentials
        if given.get("client_id") != c.account or given.get("client_secret") != c.api_key:
            return _error(fake, 401, "The credentials are not valid")
        return _json(200, {"success": True, "data": {"token": fake._token, "expires_in": 86400}})
    if method != "GET" or path != "/v1/company/employees":
        return _error(fake, 404, "Not found")
    if headers.get("authorization") != f"Bearer {fake._token}":
        return _error(fake, 401, "Authorization is not provided")
    if fake.fail == "malformed":
        return _json(200, {"success": True, "data": {"type": "Employee", "attributes": {}}})
    limit = min(int(query.get("limit", 50)), fake.page_size)
    offset, total = int(query.get("offset", 0)), len(fake.people)
    if fake.fail == "page_missing":  # however few people, a second page exists, and it is lost
        limit, total = max(1, min(limit, total // 2)), max(total, 2)
    by_email = {p.email: p for p in fake.people if p.email}
    page = [_personio_employee(p, by_email) for p in fake.people[offset : offset + limit]]
    if fake.fail == "page_missing" and offset > 0:
        page = []
    metadata = {"total_elements": total, "current_page": offset // limit, "total_pages": -(-total // limit)}
    return _json(200, {"success": True, "metadata": metadata, "offset": offset, "limit": limit, "data": page})


# ---- HiBob: POST /v1/people/search --------------------------------------------------------------


def _hibob_employee(p: Person, by_email: dict[str, Person], fields: list[str]) -> dict[str, Any]:
    boss = by_email.get(p.manager_email)
    reports_to = None
    if p.manager_email:
        name = f"{boss.first_name} {boss.last_name}" if boss else p.manager_email
        reports_to = {"id": boss.id if boss else "", "email": p.manager_email, "displayName": name}
    values = {
        "root.id": p.id,
        "root.firstName": p.first_name,
        "root.surname": p.last_name,
        "root.displayName": f"{p.first_name} {p.last_name}",
        "root.email": p.email or None,
        "work.department": p.department or None,
        "work.reportsTo": reports_to,
        "work.startDate": _iso(p.start_date),
        "work.workPhone": p.phone or None,
        "work.mobilePhone": None,
        "internal.status": "Active" if p.active else "Inactive",
        "internal.terminationDate": _iso(p.end_date),
    }
    person: dict[str, Any] = {}
    for field_id in fields:  # only what was asked for; both the slash key and the nested category
        if field_id not in values:
            continue
        category, name = field_id.split(".", 1)
        person[f"/{category}/{name}"] = {"value": values[field_id]}
        holder = person if category == "root" else person.setdefault(category, {})
        holder[name] = values[field_id]
    return person


def _hibob(fake: FakeHR, method: str, path: str, query: dict[str, str], headers: Any, body: bytes) -> Reply:
    if method != "POST" or path != "/v1/people/search":
        return _error(fake, 404, "Not found")
    if _basic(headers.get("authorization", "")) != (fake.credentials.account, fake.credentials.api_key):
        return _error(fake, 401, "Unauthorized")
    asked = json.loads(body or b"{}")
    fields, everyone = asked.get("fields") or ["root.id"], asked.get("showInactive") is True
    by_email = {p.email: p for p in fake.people if p.email}
    employees = [_hibob_employee(p, by_email, fields) for p in fake.people if p.active or everyone]
    if fake.fail == "malformed":
        return _json(200, {"people": employees})
    reply = _json(200, {"employees": employees})
    return _cut(reply) if fake.fail == "page_missing" else reply


# ---- generic: JSON (paged by "next") or CSV at a URL ----------------------------------------------

COLUMNS = ("Employee ID", "First Name", "Last Name", "Work Email", "Mobile", "Team", "Manager Email",
           "Employment Status", "Hire Date", "Termination Date")  # fmt: skip


def _generic_row(p: Person) -> list[str]:
    status = "Active" if p.active else "Terminated"
    return [p.id, p.first_name, p.last_name, p.email, p.phone, p.department, p.manager_email, status,
            _iso(p.start_date) or "", _iso(p.end_date) or ""]  # fmt: skip


def _generic(fake: FakeHR, method: str, path: str, query: dict[str, str], headers: Any, body: bytes) -> Reply:
    if method != "GET" or path != "/export/employees":
        return _error(fake, 404, "Not found")
    if headers.get("authorization") != f"Bearer {fake.credentials.api_key}":
        return _error(fake, 401, "Unauthorized")
    if fake.fail == "malformed":
        return 200, {"content-type": "text/html"}, b"<html><body>Please sign in</body></html>"
    if fake.generic_format == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        writer.writerows(_generic_row(p) for p in fake.people)
        dropped = (
            {"x-fake-drop": "half"} if fake.fail == "page_missing" else {}
        )  # no pages: the download breaks
        return 200, {"content-type": "text/csv; charset=utf-8", **dropped}, out.getvalue().encode()
    page, size = int(query.get("page", 1)), fake.page_size
    if fake.fail == "page_missing":  # however few people, a second page exists, and it fails
        if page > 1:
            return _error(fake, 500, "Internal Server Error")
        size = max(1, min(size, len(fake.people) // 2))
    start = (page - 1) * size
    data = [dict(zip(COLUMNS, _generic_row(p), strict=True)) for p in fake.people[start : start + size]]
    more = fake.fail == "page_missing" or start + size < len(fake.people)
    return _json(200, {"data": data, "next": f"/export/employees?page={page + 1}" if more else None})


SYSTEMS = {"bamboohr": _bamboohr, "personio": _personio, "hibob": _hibob, "generic": _generic}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def _answer(self, method: str) -> None:
        fake = self.server.fake
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        with fake._lock:
            fake.requests += 1
        if fake.fail == "timeout":
            fake._stop.wait(fake.delay_seconds)
        if fake.fail in ("401", "403", "429", "500", "503"):
            status, headers, payload = _error(fake, int(fake.fail), "The fake system is failing on purpose")
        else:
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            status, headers, payload = SYSTEMS[fake.provider](
                fake, method, url.path, query, self.headers, body
            )
        drop = headers.pop("x-fake-drop", None)  # announce the whole body, send half, hang up
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2] if drop else payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeHR


def _credentials(provider: str, root: str) -> tuple[str, Credentials]:
    key = secrets.token_hex(20)
    if provider == "bamboohr":
        base = f"{root}/api/gateway.php/acme"
        return base, Credentials(api_key=key, account="acme", base_url=base)
    if provider == "personio":
        return root, Credentials(api_key=f"papi-secret-{key}", account="papi-client-acme", base_url=root)
    if provider == "hibob":
        return root, Credentials(api_key=key, account="SERVICE-ACME-1", base_url=root)
    base = f"{root}/export/employees"
    return base, Credentials(api_key=key, base_url=base)


@contextmanager
def serve(provider: str) -> Iterator[FakeHR]:
    """A fake ``provider`` on 127.0.0.1 (a free port), stopped on exit."""
    if provider not in SYSTEMS:
        raise ValueError(f"no fake for {provider!r}")
    fake = FakeHR(provider=provider, page_size={"personio": 200, "generic": 500}.get(provider, 0))
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake
    with running(server, f"fake-{provider}") as root:
        fake.base_url, fake.credentials = _credentials(provider, root)
        try:
            yield fake
        finally:
            fake._stop.set()


@contextmanager
def running(server: ThreadingHTTPServer, name: str) -> Iterator[str]:
    """``server`` answering on a thread of its own for the length of a ``with``: its root URL
    (``http://127.0.0.1:<port>``); stopped on exit."""
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
