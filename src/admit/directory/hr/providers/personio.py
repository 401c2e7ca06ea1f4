"""Personio (API v1): a token, then the employees page by page.

Documentation: https://developer.personio.de/reference/auth,
https://developer.personio.de/reference/get_company-employees and
https://developer.personio.de/docs/pagination-adoption-guide-for-v1-get-employees-endpoint.
Quirks kept here:

- ``POST /v1/auth`` with the client id (the account) and secret gives a bearer token.
- ``offset`` is an item offset (the first employee to return), ``limit`` at most 100; the
  answer's ``metadata.total_elements`` says how many there are. A later page that fails or comes
  back short of that count makes the whole read INCOMPLETE: never a partial list.
- Every attribute is ``{"label", "value", "type", "universal_id"}``; department and supervisor
  values are nested objects; a phone is a custom attribute (``dynamic_…``) whose
  ``universal_id`` names it. Status is active, onboarding, leave (all employed) or inactive.
- Errors are ``{"success": false, "error": {"code", "message"}}``, sometimes with a 200.
"""

from __future__ import annotations

from typing import Any

from admit.directory.hr.base import Credentials, Employee, Failure, Provider, ProviderError, parse_date, text
from admit.directory.hr.fetch import Fetcher

__all__ = ["PROVIDER"]

PAGE = 100  # the most the employees endpoint returns per request
MAX_PAGES = 10_000
PHONES = ("work_phone", "phone", "mobile_phone", "mobile")


def _value(attributes: dict[str, Any], name: str) -> Any:
    attribute = attributes.get(name)
    return attribute.get("value") if isinstance(attribute, dict) else attribute


def _nested(value: Any) -> dict[str, Any]:
    inner = value.get("attributes") if isinstance(value, dict) else None
    return inner if isinstance(inner, dict) else {}


def _phone(attributes: dict[str, Any]) -> str:
    """The work phone, else any phone: a standard attribute or a custom one named by universal_id."""
    found: dict[str, str] = {}
    for key, attribute in attributes.items():
        universal = text(attribute.get("universal_id")) if isinstance(attribute, dict) else ""
        value = text(_value(attributes, key))
        for name in {key, universal}.intersection(PHONES) if value else ():
            found.setdefault(name, value)
    return next((found[name] for name in PHONES if name in found), "")


def _employee(title: str, item: Any) -> Employee:
    a = _nested(item)
    external_id = text(_value(a, "id"))
    if not external_id:
        raise ProviderError(Failure.MALFORMED, f"{title} listed an employee without an id.")
    boss = _nested(_value(a, "supervisor"))
    boss_name = f"{text(_value(boss, 'first_name'))} {text(_value(boss, 'last_name'))}".strip()
    try:
        start, end = parse_date(_value(a, "hire_date")), parse_date(_value(a, "termination_date"))
    except ProviderError as exc:
        raise ProviderError(Failure.MALFORMED, f"{title}: employee {external_id}: {exc.message}") from exc
    return Employee(
        external_id=external_id,
        first_name=text(_value(a, "first_name")),
        last_name=text(_value(a, "last_name")),
        display_name=text(_value(a, "preferred_name")),
        work_email=text(_value(a, "email")),
        phone=_phone(a),
        department=text(_nested(_value(a, "department")).get("name")),
        manager=text(_value(boss, "email")) or boss_name or text(_value(boss, "id")),
        active=text(_value(a, "status")).lower() != "inactive",
        start_date=start,
        end_date=end,
    )


def _answer(title: str, body: Any) -> Any:
    if not isinstance(body, dict):
        raise ProviderError(Failure.MALFORMED, f"{title} answered with something that is not an object.")
    if body.get("success") is False:
        error: dict[str, Any] = body["error"] if isinstance(body.get("error"), dict) else {}
        code, message = error.get("code"), text(error.get("message"))[:200] or "no reason given"
        failure = Failure.AUTH if code in (401, 403, "401", "403") else Failure.MALFORMED
        raise ProviderError(failure, f"{title} refused the request: {message}")
    return body.get("data")


def _page(fetcher: Fetcher, url: str, token: str, offset: int) -> tuple[list[Any], int]:
    title = fetcher.title
    try:
        body = fetcher.json(
            "GET", url, headers={"authorization": f"Bearer {token}"}, params={"limit": PAGE, "offset": offset}
        )
        data = _answer(title, body)
    except ProviderError as exc:
        if offset == 0 or exc.failure not in (Failure.UNAVAILABLE, Failure.MALFORMED):
            raise
        raise ProviderError(
            Failure.INCOMPLETE,
            f"{title}: the employees from {offset + 1} on could not be read ({exc.message}); "
            "nothing was applied.",
            retry_after=exc.retry_after,
        ) from exc
    total = body["metadata"].get("total_elements") if isinstance(body.get("metadata"), dict) else None
    if not isinstance(data, list) or not isinstance(total, int) or isinstance(total, bool):
        raise ProviderError(
            Failure.MALFORMED, f"{title}: the employees page has no data list or total count."
        )
    return data, total


def fetch(fetcher: Fetcher, credentials: Credentials) -> list[Employee]:
    title, base = fetcher.title, PROVIDER.base_url(credentials)
    auth = fetcher.json(
        "POST",
        f"{base}/v1/auth",
        json_body={"client_id": credentials.account, "client_secret": credentials.api_key},
    )
    data = _answer(title, auth)
    token = text(data.get("token")) if isinstance(data, dict) else ""
    if not token:
        raise ProviderError(Failure.MALFORMED, f"{title}: the authentication answer has no token.")
    employees: dict[str, Employee] = {}
    offset = total = 0
    for _ in range(MAX_PAGES):
        items, total = _page(fetcher, f"{base}/v1/company/employees", token, offset)
        for item in items:
            employee = _employee(title, item)
            employees[employee.external_id] = employee
        offset += len(items)
        if not items or offset >= total:
            break
    else:
        raise ProviderError(
            Failure.MALFORMED, f"{title}: the employee list did not end after {MAX_PAGES} pages."
        )
    if len(employees) < total:
        raise ProviderError(
            Failure.INCOMPLETE,
            f"{title} promised {total} employees but gave {len(employees)}; nothing was applied.",
        )
    return list(employees.values())


PROVIDER = Provider(
    key="personio",
    title="Personio",
    default_base_url="https://api.personio.de",
    api_key_label="Client secret",
    account_label="Client ID",
    help="In Personio, Settings › Integrations › API credentials › Generate new credential, with "
    "read access to the employee attributes listed; copy the client ID and secret.",
    docs_url="https://developer.personio.de/reference/get_company-employees",
    fetch=fetch,
)
