"""A portal's address (its slug) from its name: letters that have no accent to drop are written
as their usual ASCII spelling, never lost (a tester's "Ærø Widgets & Co" became r-widgets-co).
Both backends: a second portal of the same name gets the next free address."""

from __future__ import annotations

import pytest

from admit.portals import service as portals_service


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Ærø Widgets & Co", "aero-widgets-co"),
        ("Straße Œuvre", "strasse-oeuvre"),
        ("Łódź Þing Ðagur", "lodz-thing-dagur"),
        ("Crème Brûlée Ltd.", "creme-brulee-ltd"),
        ("東京", "portal"),  # nothing to spell in ASCII: a plain word
    ],
)
def test_a_name_is_spelled_in_ascii_not_cut(db, name, slug):
    with db.unit_of_work() as session:
        first = portals_service.new_portal(session, name)
        second = portals_service.new_portal(session, name)
        assert (first.slug, second.slug) == (slug, f"{slug}-2")
