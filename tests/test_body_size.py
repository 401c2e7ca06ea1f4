"""Bodies over the size a request may carry (issue 14 item 10) are refused from their
Content-Length, before they are read or parsed: 413 problem+json naming ``too_large`` on the
API, a page on the pages. Uploaded lists may be as large as an import allows."""

from __future__ import annotations

from tests.factories import create_portal


def test_a_json_body_over_the_cap_is_413_unread(client, db, settings):
    pf = create_portal(db)
    big = (
        b'{"recipients": ["'
        + b"a" * (settings.max_body_bytes + 10)
        + b'@example.com"], "user_type": "client"}'
    )
    r = client.post(
        f"/api/v1/portals/{pf.slug}/invitations",
        content=big,
        headers={**pf.headers(), "Content-Type": "application/json"},
    )
    assert r.status_code == 413 and r.json()["code"] == "too_large", r.text[:200]
    assert r.headers["content-type"].startswith("application/problem+json")


def test_a_form_over_the_cap_gets_a_page(client, db, settings):
    r = client.post(
        "/login",
        content=b"email=" + b"a" * (settings.max_body_bytes + 10),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413 and "text/html" in r.headers["content-type"]
    assert "larger than" in r.text


def test_a_list_may_be_larger_than_a_json_body(client, db, settings):
    pf = create_portal(db)
    rows = "email\n" + "".join(f"person{i:07d}@example.com\n" for i in range(120_000))  # ~3.4 MB
    assert len(rows) > settings.max_body_bytes
    r = client.post(
        f"/api/v1/portals/{pf.slug}/invitation-imports",
        files={"file": ("people.csv", rows.encode(), "text/csv")},
        data={"user_type": "client", "dry_run": "true"},
        headers=pf.headers(),
    )
    assert r.status_code == 200, r.text[:200]  # the preview of 120,000 rows


def test_every_operation_declares_its_413(client, db, settings):
    """A body over the cap is refused from its Content-Length on any operation (one that takes
    no body, an upload): each declares the 413 it can answer, where only those with a JSON body
    did ("only declared statuses")."""
    pf = create_portal(db)
    r = client.post(
        f"/api/v1/portals/{pf.slug}/webhooks/00000000-0000-0000-0000-000000000000/rotate-secret",
        content=b"{}" + b" " * (settings.max_body_bytes + 10),
        headers={**pf.headers(), "Content-Type": "application/json"},
    )
    assert (r.status_code, r.json()["code"]) == (413, "too_large")
    document = client.get("/api/v1/openapi.json").json()
    undeclared = [
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "too_large" not in operation["responses"].get("413", {}).get("x-error-codes", [])
    ]
    assert not undeclared, undeclared


def test_a_chunked_body_over_the_cap_is_413_before_the_app_reads_it(client, db, settings):
    """The reviewer: a body sent in chunks has no Content-Length, so the cap never applied and
    any route (signing out, unauthenticated) read it whole into memory. It is counted as it
    comes and refused past the cap, 413 as a declared one is; under the cap it reaches the
    route as sent."""
    pf = create_portal(db)

    def chunks(total: int):
        sent = 0
        yield b'{"recipients": ["'
        while sent < total:
            yield b"a" * 65536
            sent += 65536
        yield b'@example.com"], "user_type": "client"}'

    r = client.post(
        f"/api/v1/portals/{pf.slug}/invitations",
        content=chunks(settings.max_body_bytes + 10),
        headers={**pf.headers(), "Content-Type": "application/json"},
    )
    assert "content-length" not in {k.lower() for k in r.request.headers}  # sent in chunks
    assert (r.status_code, r.json()["code"]) == (413, "too_large"), r.text[:200]

    def small():
        yield b'{"recipients": ["ada@example.com"], '
        yield b'"user_type": "client"}'

    r = client.post(
        f"/api/v1/portals/{pf.slug}/invitations",
        content=small(),
        headers={**pf.headers(), "Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text[:300]
