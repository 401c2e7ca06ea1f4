"""HiBob (Bob): every employee, active and former, from one people search.

Documentation: https://apidocs.hibob.com/reference/post_people-search,
https://apidocs.hibob.com/docs/people-read-api-contract and
https://apidocs.hibob.com/docs/fields-metadata. Quirks kept here:

- HTTP Basic with the service user's ID and token.
- ``POST /v1/people/search`` answers every match in one ``employees`` array (no paging);
  ``showInactive`` must be true to see leavers. A field the service user may not see is left
  out silently, so only the id is required.
- ``humanReadable: "REPLACE"`` turns list ids (department) into their names; dates stay ISO.
- Field ids are dotted (``work.department``); an answer gives each field as a slash key
  (``"/work/department": {"value": …}``), as a nested category (``"work": {"department": …}``),
  or both. The manager (``work.reportsTo``, an employee reference) is an object with the
  manager's email and name, or, human-readable, just the name.
"""

from __future__ import annotations

from typing import Any

from admit.directory.hr.base import Credentials, Employee, Failure, Provider, ProviderError, parse_date, text
from admit.directory.hr.fetch import Fetcher

__all__ = ["PROVIDER"]

FIELDS = (
    "root.id",
    "root.firstName",
    "root.surname",
    "root.displayName",
    "root.email",
    "work.department",
    "work.reportsTo",
    "work.startDate",
    "work.workPhone",
    "work.mobilePhone",
    "internal.status",
    "internal.terminationDate",
)
LEFT = {"inactive", "terminated"}


def _get(person: dict[str, Any], field: str) -> Any:
    """A field by its id, from the slash key or the nested category (root fields sit on top)."""
    category, name = field.split(".", 1)
    slash = person.get(f"/{category}/{name}")
    if isinstance(slash, dict) and "value" in slash:
        return slash["value"]
    holder = person if category == "root" else person.get(category)
    return holder.get(name) if isinstance(holder, dict) else None


def _manager(value: Any) -> str:
    if isinstance(value, dict):
        return text(value.get("email")) or text(value.get("displayName")) or text(value.get("id"))
    return text(value)


def _employee(title: str, person: Any, index: int) -> Employee:
    external_id = text(_get(person, "root.id")) if isinstance(person, dict) else ""
    if not external_id:
        raise ProviderError(Failure.MALFORMED, f"{title}: employee {index + 1} of the answer has no id.")
    try:
        start = parse_date(_get(person, "work.startDate"))
        end = parse_date(_get(person, "internal.terminationDate"))
    except ProviderError as exc:
        raise ProviderError(Failure.MALFORMED, f"{title}: employee {external_id}: {exc.message}") from exc
    return Employee(
        external_id=external_id,
        first_name=text(_get(person, "root.firstName")),
        last_name=text(_get(person, "root.surname")),
        display_name=text(_get(person, "root.displayName")),
        work_email=text(_get(person, "root.email")),
        phone=text(_get(person, "work.workPhone")) or text(_get(person, "work.mobilePhone")),
        department=text(_get(person, "work.department")),
        manager=_manager(_get(person, "work.reportsTo")),
        active=text(_get(person, "internal.status")).lower() not in LEFT,
        start_date=start,
        end_date=end,
    )


def fetch(fetcher: Fetcher, credentials: Credentials) -> list[Employee]:
    title = fetcher.title
    body = fetcher.json(
        "POST",
        f"{PROVIDER.base_url(credentials)}/v1/people/search",
        json_body={"fields": list(FIELDS), "showInactive": True, "humanReadable": "REPLACE"},
        auth=(credentials.account, credentials.api_key),
    )
    people = body.get("employees") if isinstance(body, dict) else None
    if not isinstance(people, list):
        raise ProviderError(Failure.MALFORMED, f"{title}: the people search answer has no employees list.")
    return [_employee(title, person, i) for i, person in enumerate(people)]


PROVIDER = Provider(
    key="hibob",
    title="HiBob",
    default_base_url="https://api.hibob.com",
    api_key_label="Service user token",
    account_label="Service user ID",
    help="In Bob, Settings › Integrations › Service users › Create; give its permission group "
    "View on the employees' Basic info, Work, Employment and Lifecycle.",
    docs_url="https://apidocs.hibob.com/reference/post_people-search",
    fetch=fetch,
)
