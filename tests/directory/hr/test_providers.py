"""The HR adapters against their fakes on loopback (no database): every field read right, every
failure mode turned into the right ``Failure`` (never a partial list), paging, and each system's
quirks. A few answers the fakes do not give (other documented shapes) come from ``static``."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from admit.directory.hr.base import Credentials, Employee, Failure, ProviderError
from admit.directory.hr.fetch import Fetcher
from admit.directory.hr.providers import PROVIDERS
from tests.directory.hr.fakes import FakeHR, Person, serve

SYSTEMS = ("bamboohr", "personio", "hibob", "generic")
TODAY = date.today()

GRACE = Person(
    "102", "Grace", "Hopper", "grace@acme.com", department="Engineering", start_date=date(2019, 3, 1)
)
ADA = Person("101", "Ada", "Lovelace", "ada@acme.com", phone="+44 20 7946 0001", department="Engineering",
             manager_email="grace@acme.com", start_date=date(2020, 1, 6))  # fmt: skip
CY = Person("103", "Cy", "Left", "cy@acme.com", department="Sales", active=False,
            start_date=date(2018, 5, 2), end_date=date(2024, 6, 30))  # fmt: skip
DEE = Person(id="104", first_name="Dee", last_name="Nomail")  # no email, no dates
EVE = Person("105", "Eve", "Later", "eve@acme.com", start_date=TODAY + timedelta(days=30))  # not started yet


@pytest.fixture(params=SYSTEMS)
def fake(request: pytest.FixtureRequest) -> Iterator[FakeHR]:
    with serve(request.param) as f:
        yield f


def read(fake: FakeHR, *, timeout: float = 5.0, allow_private: bool = True, **changes: str) -> list[Employee]:
    provider = PROVIDERS[fake.provider]
    fetcher = Fetcher(provider.title, allow_private=allow_private, timeout_seconds=timeout)
    return provider.fetch(fetcher, replace(fake.credentials, **changes))


def failure_of(fake: FakeHR, **kwargs: Any) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        read(fake, **kwargs)
    assert fake.credentials.api_key not in caught.value.message
    return caught.value


def many(n: int) -> list[Person]:
    return [
        Person(id=str(1000 + i), first_name=f"E{i}", last_name="Loyee", email=f"e{i}@acme.com")
        for i in range(n)
    ]


def check_everyone(employees: list[Employee]) -> None:
    by_id = {e.external_id: e for e in employees}
    assert sorted(by_id) == ["101", "102", "103", "104", "105"]
    ada = by_id["101"]
    assert (ada.first_name, ada.last_name, ada.name) == ("Ada", "Lovelace", "Ada Lovelace")
    assert (ada.work_email, ada.phone, ada.department) == ("ada@acme.com", "+44 20 7946 0001", "Engineering")
    assert ada.manager == "grace@acme.com" and by_id["102"].manager == ""
    assert ada.active and ada.start_date == date(2020, 1, 6) and ada.end_date is None
    cy = by_id["103"]
    assert not cy.active and cy.start_date == date(2018, 5, 2) and cy.end_date == date(2024, 6, 30)
    dee = by_id["104"]
    assert dee.name == "Dee Nomail" and dee.work_email == "" and dee.phone == "" and dee.department == ""
    assert dee.active and dee.start_date is None and dee.end_date is None
    assert by_id["105"].active and by_id["105"].start_date == TODAY + timedelta(days=30)  # not started yet


def test_reads_every_field(fake: FakeHR) -> None:
    fake.people = [ADA, GRACE, CY, DEE, EVE]
    check_everyone(read(fake))


def test_generic_csv_reads_every_field() -> None:
    with serve("generic") as fake:
        fake.generic_format = "csv"
        fake.people = [ADA, GRACE, CY, DEE, EVE]
        check_everyone(read(fake))
        assert fake.requests == 1


def test_an_empty_system_is_an_empty_list(fake: FakeHR) -> None:
    assert read(fake) == []


def test_a_wrong_key_is_refused(fake: FakeHR) -> None:
    fake.people = [ADA]
    error = failure_of(fake, api_key="not-the-key")
    assert error.failure is Failure.AUTH and fake.requests == 1


@pytest.mark.parametrize(
    ("fail", "failure", "retry_after"),
    [
        ("401", Failure.AUTH, None),
        ("403", Failure.AUTH, None),
        ("429", Failure.RATE_LIMITED, 120),
        ("500", Failure.UNAVAILABLE, None),
        ("503", Failure.UNAVAILABLE, 30),
    ],
)
def test_http_failures(fake: FakeHR, fail: str, failure: Failure, retry_after: int | None) -> None:
    fake.people = [ADA, GRACE]
    fake.fail, fake.retry_after = fail, retry_after
    error = failure_of(fake)
    assert error.failure is failure and error.retry_after == retry_after
    assert PROVIDERS[fake.provider].title in error.message


def test_a_timeout_is_unavailable(fake: FakeHR) -> None:
    fake.people = [ADA]
    fake.fail, fake.delay_seconds = "timeout", 3.0
    started = time.monotonic()
    error = failure_of(fake, timeout=0.2)
    assert error.failure is Failure.UNAVAILABLE and "0.2 s" in error.message
    assert time.monotonic() - started < 2


def test_a_malformed_answer(fake: FakeHR) -> None:
    fake.people = [ADA, GRACE]
    fake.fail = "malformed"
    error = failure_of(fake)
    assert error.failure is Failure.MALFORMED and PROVIDERS[fake.provider].title in error.message


@pytest.mark.parametrize("count", [2, 1200])
def test_a_missing_page_gives_no_list(fake: FakeHR, count: int) -> None:
    fake.people = many(count)
    fake.fail = "page_missing"
    error = failure_of(fake)
    if fake.provider in ("personio", "generic"):  # paged: a later page fails or comes back empty
        assert error.failure is Failure.INCOMPLETE and fake.requests >= 2
    else:  # one answer, cut off mid-JSON
        assert error.failure is Failure.MALFORMED and fake.requests == 1


def test_a_generic_csv_download_that_breaks_gives_no_list() -> None:
    with serve("generic") as fake:
        fake.generic_format, fake.fail, fake.people = "csv", "page_missing", many(50)
        assert failure_of(fake).failure is Failure.UNAVAILABLE


def test_five_thousand_employees_read_whole(fake: FakeHR) -> None:
    fake.people = many(5000)
    employees = read(fake)
    assert len({e.external_id for e in employees}) == 5000 and employees[4999].work_email
    pages = {
        "bamboohr": 1,
        "hibob": 1,
        "personio": 1 + 50,
        "generic": 10,
    }  # Personio: a token, then 100 a page
    assert fake.requests == pages[fake.provider]


def test_a_private_address_is_refused_unless_allowed(fake: FakeHR) -> None:
    error = failure_of(fake, allow_private=False)
    assert error.failure is Failure.REFUSED and fake.requests == 0


def test_hibob_asks_for_former_employees_too() -> None:
    with serve("hibob") as fake:
        fake.people = [ADA, CY]  # the fake, as Bob, leaves Cy out unless showInactive is true
        assert {e.external_id: e.active for e in read(fake)} == {"101": True, "103": False}


def test_personio_statuses() -> None:
    with serve("personio") as fake:
        fake.people = [EVE, CY]  # Eve starts next month: "onboarding"
        by_id = {e.external_id: e for e in read(fake)}
        assert by_id["105"].active and not by_id["103"].active
    attrs = {"id": {"value": 7}, "first_name": {"value": "Lea"}, "status": {"value": "leave"}}
    page = {
        "success": True,
        "metadata": {"total_elements": 1},
        "data": [{"type": "Employee", "attributes": attrs}],
    }
    routes = {"/v1/auth": {"success": True, "data": {"token": "t"}}, "/v1/company/employees": page}
    with static(routes) as base:
        (lea,) = read_static("personio", base)
        assert lea.external_id == "7" and lea.active  # on leave: still employed


def test_personio_a_later_page_failing_is_incomplete() -> None:
    def employee(i: int) -> dict[str, Any]:
        return {"type": "Employee", "attributes": {"id": {"value": i}}}

    first = {"success": True, "metadata": {"total_elements": 150}, "data": [employee(i) for i in range(100)]}
    routes: dict[str, Any] = {
        "/v1/auth": {"success": True, "data": {"token": "t"}},
        "/v1/company/employees?limit=100&offset=0": first,
        "/v1/company/employees?limit=100&offset=100": (502, "text/html", "<html>Bad gateway</html>"),
    }
    with static(routes) as base, pytest.raises(ProviderError) as caught:
        read_static("personio", base)
    assert caught.value.failure is Failure.INCOMPLETE and "101" in caught.value.message


def test_personio_error_body_with_a_200() -> None:
    routes = {"/v1/auth": {"success": False, "error": {"code": 401, "message": "Wrong client secret"}}}
    with static(routes) as base, pytest.raises(ProviderError) as caught:
        read_static("personio", base)
    assert caught.value.failure is Failure.AUTH and "Wrong client secret" in caught.value.message


def test_bamboohr_empty_dates_and_a_bad_one() -> None:
    row = {
        "id": "9",
        "firstName": "Zed",
        "status": "Inactive",
        "hireDate": "0000-00-00",
        "terminationDate": "0000-00-00",
    }
    with static({"/api/gateway.php/acme/v1/reports/custom": {"employees": [row]}}) as base:
        (zed,) = read_static("bamboohr", f"{base}/api/gateway.php/acme")
        assert zed.start_date is None and zed.end_date is None and not zed.active
    bad = {"/api/gateway.php/acme/v1/reports/custom": {"employees": [{**row, "hireDate": "31/12/2024"}]}}
    with static(bad) as base, pytest.raises(ProviderError) as caught:
        read_static("bamboohr", f"{base}/api/gateway.php/acme")
    assert caught.value.failure is Failure.MALFORMED and "31/12/2024" in caught.value.message


def test_hibob_nested_answer_without_slash_keys() -> None:
    person = {"id": "77", "firstName": "Nia", "surname": "Dot", "email": "nia@acme.com",
              "work": {"department": "Ops", "reportsTo": "Grace Hopper", "startDate": "2021-02-03"},
              "internal": {"status": "Inactive", "terminationDate": "2024-01-31"}}  # fmt: skip
    with static({"/v1/people/search": {"employees": [person]}}) as base:
        (nia,) = read_static("hibob", base)
    assert (nia.name, nia.department, nia.manager) == ("Nia Dot", "Ops", "Grace Hopper")
    assert not nia.active and nia.start_date == date(2021, 2, 3) and nia.end_date == date(2024, 1, 31)


@pytest.mark.parametrize("key", [None, "employees", "data", "Report_Entry", "results"])
def test_generic_json_shapes_and_aliases(key: str | None) -> None:
    records = [
        {"employeeId": 1, "given_name": "Ann", "family_name": "Alias", "workEmail": "ann@acme.com",
         "work-phone": "555", "TEAM": "Ops", "supervisor": "boss@acme.com", "active": False,
         "Start Date": "2020-01-02", "end_date": "2024-05-06", "Full Name": "Ann A."},
        {"Work_Email": "Bo@Acme.com", "firstName": "Bo", "employment_status": "on leave"},
    ]  # fmt: skip
    with static({"/people.json": records if key is None else {key: records}}) as base:
        ann, bo = read_static("generic", f"{base}/people.json")
    assert (ann.external_id, ann.first_name, ann.last_name, ann.name) == ("1", "Ann", "Alias", "Ann A.")
    assert (ann.work_email, ann.phone, ann.department, ann.manager) == (
        "ann@acme.com",
        "555",
        "Ops",
        "boss@acme.com",
    )
    assert not ann.active and (ann.start_date, ann.end_date) == (date(2020, 1, 2), date(2024, 5, 6))
    assert bo.external_id == "bo@acme.com" and bo.active  # no id: known by the work email


def test_generic_csv_aliases_and_a_row_with_neither_id_nor_email() -> None:
    text = "Worker ID,Given Name,Surname,E-mail,Status\nw1,Cat,Csv,cat@acme.com,Left\n,Dan,Nobody,,Active\n"
    with static({"/people.csv": (200, "text/csv", text)}) as base, pytest.raises(ProviderError) as caught:
        read_static("generic", f"{base}/people.csv")
    assert caught.value.failure is Failure.MALFORMED and "row 2" in caught.value.message
    with static(
        {"/people.csv": (200, "text/plain", text.rsplit("\n", 2)[0])}
    ) as base:  # by its body, not its type
        (cat,) = read_static("generic", f"{base}/people.csv")
    assert (cat.external_id, cat.name, cat.work_email, cat.active) == ("w1", "Cat Csv", "cat@acme.com", False)


def test_generic_follows_next_on_the_same_host_only() -> None:
    routes = {
        "/p1": {"data": [{"id": "1"}], "next": "/p2"},
        "/p2": {"data": [{"id": "2"}], "next": None},
        "/away": {"data": [{"id": "3"}], "next": "https://elsewhere.example/p4"},
        "/loop": {"data": [{"id": "4"}], "next": "/loop"},
    }
    with static(routes) as base:
        assert [e.external_id for e in read_static("generic", f"{base}/p1")] == ["1", "2"]
        for start in ("/away", "/loop"):
            with pytest.raises(ProviderError) as caught:
                read_static("generic", f"{base}{start}")
            assert caught.value.failure is Failure.MALFORMED


# ---- a server that answers fixed bodies (shapes the fakes do not produce) ----------------------


def read_static(provider: str, base_url: str) -> list[Employee]:
    p = PROVIDERS[provider]
    return p.fetch(
        Fetcher(p.title, allow_private=True, timeout_seconds=5), Credentials("k", "acct", base_url)
    )


@contextmanager
def static(routes: dict[str, Any]) -> Iterator[str]:
    """Answers ``routes[path with query]`` (else ``routes[path]``): JSON, or (status, type, text)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            answer = routes.get(self.path, routes.get(self.path.split("?")[0]))
            status, kind, body = (
                answer if isinstance(answer, tuple) else (200, "application/json", json.dumps(answer))
            )
            if answer is None:
                status, kind, body = 404, "text/plain", "not found"
            self.send_response(status)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body.encode())))
            self.end_headers()
            self.wfile.write(body.encode())

        do_POST = do_GET

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
