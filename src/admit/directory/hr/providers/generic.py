"""Any HR system that publishes its people as JSON or CSV at a URL (a Workday custom report
published as a web service, an export a script refreshes…).

- JSON: an array of objects, or an object with the array under ``employees``, ``data``,
  ``Report_Entry`` (Workday RaaS) or ``results``; a ``next`` URL in that object (same host) is
  the next page. CSV (``text/csv``, or any body not starting with ``[``/``{``): a header row.
- Columns are matched case- and punctuation-insensitively (``Work Email`` = ``work_email`` =
  ``workEmail``). A row without an id is known by its work email; with neither it is malformed.
- The key, when given, is sent as ``Authorization: Bearer <key>``; the account is unused.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from admit.directory.hr.base import Credentials, Employee, Failure, Provider, ProviderError, parse_date, text
from admit.directory.hr.fetch import Fetcher

__all__ = ["ALIASES", "PROVIDER", "columns_said"]

MAX_PAGES = 10_000
LIST_KEYS = ("employees", "data", "Report_Entry", "results")
ALIASES = {
    "id": ("id", "employee_id", "employeeid", "worker_id", "employee_number"),
    "first_name": ("first_name", "given_name", "firstname"),
    "last_name": ("last_name", "surname", "family_name", "lastname"),
    "display_name": ("name", "display_name", "full_name", "preferred_name"),
    "email": ("email", "work_email", "email_address", "work_email_address"),
    "phone": ("phone", "work_phone", "mobile", "mobile_phone", "phone_number"),
    "department": ("department", "team", "department_name"),
    "manager": ("manager", "manager_email", "supervisor", "supervisor_email", "manager_name"),
    "status": ("status", "employment_status", "active", "is_active", "worker_status"),
    "start_date": ("start_date", "hire_date", "hired", "hiredate"),
    "end_date": ("end_date", "termination_date", "terminated", "leave_date"),
}
LEFT = {"inactive", "terminated", "left", "false", "0", "no", "former", "ended", "leaver"}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


FIELD_OF = {_key(alias): field for field, aliases in ALIASES.items() for alias in aliases}


def columns_said(field: str) -> str:
    """The column names a field is read from, for the admin: "id, employee_id, …"."""
    return ", ".join(ALIASES[field])


def _employee(title: str, record: Any, row: int) -> Employee:
    if not isinstance(record, dict):
        raise ProviderError(Failure.MALFORMED, f"{title}: row {row} is not a record.")
    v: dict[str, Any] = {}
    for name, value in record.items():
        field = FIELD_OF.get(_key(str(name)))
        if field and field not in v and text(value) != "":
            v[field] = value
    email = text(v.get("email"))
    external_id = text(v.get("id")) or email.lower()
    if not external_id:
        raise ProviderError(Failure.MALFORMED, f"{title}: row {row} has neither an id nor a work email.")
    try:
        start, end = parse_date(v.get("start_date")), parse_date(v.get("end_date"))
    except ProviderError as exc:
        raise ProviderError(Failure.MALFORMED, f"{title}: row {row}: {exc.message}") from exc
    return Employee(
        external_id=external_id,
        first_name=text(v.get("first_name")),
        last_name=text(v.get("last_name")),
        display_name=text(v.get("display_name")),
        work_email=email,
        phone=text(v.get("phone")),
        department=text(v.get("department")),
        manager=text(v.get("manager")),
        active=text(v.get("status")).lower() not in LEFT,
        start_date=start,
        end_date=end,
    )


def _csv(title: str, body: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(body))
    columns = {FIELD_OF.get(_key(c)) for c in reader.fieldnames or ()}
    if not columns & {"id", "email"}:
        raise ProviderError(
            Failure.MALFORMED,
            f"{title}: the file has no id or work email column. Name one of them in the header row: "
            f"an id as {columns_said('id')}; a work email as {columns_said('email')} (any case, "
            "spaces or punctuation: Work Email is work_email).",
        )
    return list(reader)


def _json(title: str, raw: str) -> tuple[list[Any], str]:
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ProviderError(Failure.MALFORMED, f"{title}: the answer is not valid JSON.") from exc
    if isinstance(body, list):
        return body, ""
    records = next((body[k] for k in LIST_KEYS if isinstance(body, dict) and k in body), None)
    if not isinstance(records, list):
        raise ProviderError(Failure.MALFORMED, f"{title}: no list of people ({', '.join(LIST_KEYS)}).")
    return records, text(body.get("next"))


def _page(fetcher: Fetcher, url: str, headers: dict[str, str], page: int) -> tuple[list[Any], str]:
    try:
        answer = fetcher.request("GET", url, headers=headers)
    except ProviderError as exc:
        if page == 1 or exc.failure is not Failure.UNAVAILABLE:
            raise
        message = f"{fetcher.title}: page {page} could not be read ({exc.message}); nothing was applied."
        raise ProviderError(Failure.INCOMPLETE, message, retry_after=exc.retry_after) from exc
    kind = answer.headers.get("content-type", "").lower()
    if "html" in kind:
        raise ProviderError(
            Failure.MALFORMED, f"{fetcher.title}: the URL answered a web page, not JSON or CSV."
        )
    try:
        content = answer.content.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = answer.content.decode("cp1252", errors="replace")
    if "csv" in kind or not content.lstrip().startswith(("[", "{")):
        return _csv(fetcher.title, content), ""
    return _json(fetcher.title, content)


def fetch(fetcher: Fetcher, credentials: Credentials) -> list[Employee]:
    title, url = fetcher.title, PROVIDER.base_url(credentials)
    if not url:
        raise ProviderError(Failure.REFUSED, f"{title}: enter the URL of the JSON or CSV file.")
    headers = {"accept": "application/json, text/csv;q=0.9"}
    if credentials.api_key:
        headers["authorization"] = f"Bearer {credentials.api_key}"
    origin, seen, records = urlsplit(url)[:2], {url}, []
    for page in range(1, MAX_PAGES + 1):
        items, next_url = _page(fetcher, url, headers, page)
        records.extend(items)
        if not next_url:
            return [_employee(title, record, row) for row, record in enumerate(records, start=1)]
        url = urljoin(url, next_url)
        if urlsplit(url)[:2] != origin or url in seen:  # the key goes to the same scheme and host only
            raise ProviderError(
                Failure.MALFORMED, f"{title}: a next page points elsewhere or back ({url[:80]})."
            )
        seen.add(url)
    raise ProviderError(Failure.MALFORMED, f"{title}: the list did not end after {MAX_PAGES} pages.")


PROVIDER = Provider(
    key="generic",
    title="JSON/CSV URL",
    default_base_url="",
    api_key_label="Bearer token (optional)",
    account_label="",
    help="The HTTPS address of a JSON or CSV list of employees (one row each, with an id or work "
    "email column), such as a Workday custom report published as a web service.",
    docs_url="",  # the format is described in ``help``; there is no vendor page to link
    fetch=fetch,
)
