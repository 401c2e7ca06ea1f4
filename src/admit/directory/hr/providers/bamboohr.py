"""BambooHR: every employee (active and inactive) from one custom report.

Documentation: https://documentation.bamboohr.com/reference/request-custom-report and
https://documentation.bamboohr.com/docs/list-of-field-names. Quirks kept here:

- HTTP Basic with the API key as the user name and any password ("x").
- The request body must be sent as ``Content-Type: application/json`` exactly (anything else is
  read as XML); httpx's ``json=`` does that.
- A custom report lists Active and Inactive employees in one answer (no paging); a field the key
  may not see is silently left out, so only ``id`` is required of a row.
- Empty dates are written ``0000-00-00`` (``base.parse_date`` reads them as no date).
"""

from __future__ import annotations

from typing import Any

from admit.directory.hr.base import Credentials, Employee, Failure, Provider, ProviderError, parse_date, text
from admit.directory.hr.fetch import Fetcher

__all__ = ["PROVIDER"]

REPORT_FIELDS = (
    "id",
    "firstName",
    "lastName",
    "preferredName",
    "workEmail",
    "workPhone",
    "mobilePhone",
    "department",
    "supervisorEmail",
    "supervisor",
    "status",
    "hireDate",
    "terminationDate",
)


def _employee(title: str, row: object, index: int) -> Employee:
    if not isinstance(row, dict) or not text(row.get("id")):
        raise ProviderError(Failure.MALFORMED, f"{title}: employee {index + 1} of the report has no id.")
    preferred, last = text(row.get("preferredName")), text(row.get("lastName"))
    try:
        start, end = parse_date(row.get("hireDate")), parse_date(row.get("terminationDate"))
    except ProviderError as exc:
        raise ProviderError(Failure.MALFORMED, f"{title}: employee {row['id']}: {exc.message}") from exc
    return Employee(
        external_id=text(row["id"]),
        first_name=text(row.get("firstName")),
        last_name=last,
        display_name=f"{preferred} {last}".strip() if preferred else "",
        work_email=text(row.get("workEmail")),
        phone=text(row.get("workPhone")) or text(row.get("mobilePhone")),
        department=text(row.get("department")),
        manager=text(row.get("supervisorEmail")) or text(row.get("supervisor")),
        active=text(row.get("status")).lower() != "inactive",
        start_date=start,
        end_date=end,
    )


def fetch(fetcher: Fetcher, credentials: Credentials) -> list[Employee]:
    title = fetcher.title
    if not credentials.base_url and not credentials.account.strip():
        raise ProviderError(
            Failure.REFUSED, f"{title}: enter the company subdomain (acme in acme.bamboohr.com)."
        )
    body: Any = fetcher.json(
        "POST",
        f"{PROVIDER.base_url(credentials)}/v1/reports/custom",
        params={"format": "JSON", "onlyCurrent": "false"},
        json_body={"title": "Admit HR sync", "fields": list(REPORT_FIELDS)},
        auth=(credentials.api_key, "x"),
    )
    rows = body.get("employees") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        raise ProviderError(Failure.MALFORMED, f"{title}: the report has no list of employees.")
    return [_employee(title, row, i) for i, row in enumerate(rows)]


PROVIDER = Provider(
    key="bamboohr",
    title="BambooHR",
    default_base_url="https://api.bamboohr.com/api/gateway.php/{account}",
    api_key_label="API key",
    account_label="Company subdomain",
    help="In BambooHR, click your name (top right) › API Keys › Add New Key; the subdomain is "
    "the acme in acme.bamboohr.com.",
    docs_url="https://documentation.bamboohr.com/reference/request-custom-report",
    fetch=fetch,
)
