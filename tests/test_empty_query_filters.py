"""An empty query value is no value, across the API: ``?status=`` on a list is no filter (the
whole list), as a page's empty select means "all" and as ``?q=`` and ``?since=`` were read, where
an empty choice (``status``, ``category``, ``user_type``, an id) was 422."""

from __future__ import annotations

import pytest

from tests.factories import create_portal


@pytest.mark.parametrize(
    ("path", "empty"),
    [
        ("people", "status=&user_type=&role=&invited_by=&delivery="),
        ("members", "status=&user_type="),
        ("invitations", "status=&user_type="),
        ("audit-events", "category=&q=&since=&actor="),
        ("link/signups", "status="),
        ("join-requests", "status=&workspace_id="),
    ],
)
def test_an_empty_filter_is_no_filter(client, db, path, empty):
    pf = create_portal(db)
    base = f"/api/v1/portals/{pf.slug}/{path}"
    whole = client.get(base, headers=pf.headers())
    assert whole.status_code == 200, whole.text
    r = client.get(f"{base}?{empty}&cursor=&limit=", headers=pf.headers())
    assert r.status_code == 200, r.text
    assert r.json()["items"] == whole.json()["items"]


def test_the_audit_csv_takes_an_empty_category_as_none(client, db):
    pf = create_portal(db)
    r = client.get(f"/api/v1/portals/{pf.slug}/audit-events.csv?category=", headers=pf.headers())
    assert r.status_code == 200, r.text


def test_a_value_given_is_still_checked(client, db):
    pf = create_portal(db)
    r = client.get(f"/api/v1/portals/{pf.slug}/people?status=gone&q=", headers=pf.headers())
    assert r.status_code == 422 and r.json()["field"] == "status", r.text
    r = client.get(f"/api/v1/portals/{pf.slug}/invitations?sort=", headers=pf.headers())
    assert r.status_code == 422 and r.json()["field"] == "sort", r.text  # not taken, empty or not
