"""What a sync does and did, in words: the one place the pages and the CLI say an outcome
("Already a member"), a preview's counts ("2 to invite") and a run's ("1 deactivated") — the API
answers the codes (``HrOutcome``), each page and command shows these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from admit.directory.hr.plan import HrSkipCode, Step

__all__ = [
    "APPLIED_WORDS",
    "COUNT_WORDS",
    "OUTCOME_WORDS",
    "RESULT_WORDS",
    "counts_said",
    "linking_said",
    "outcome_said",
    "results_said",
    "unlinked_said",
]

OUTCOME_WORDS = {
    "invite": "Invite",
    "invite_on_start": "Invite on start date",
    "already_member": "Already a member",
    "already_invited": "Already invited",
    "update": "Update",
    "deactivate": "Deactivate (left)",
    "skip": "Skip",
}
# What a run did, in words (singular, plural), in the order they are said.
RESULT_WORDS = (
    ("invited", "invited", "invited"),
    ("added_quietly", "added quietly", "added quietly"),
    ("reinvited", "invited again at a new address", "invited again at a new address"),
    ("updated", "updated", "updated"),
    ("deactivated", "deactivated", "deactivated"),
    ("revoked", "invitation revoked", "invitations revoked"),
    ("not_applied", "not applied (see below)", "not applied (see below)"),
    ("not_selected", "not selected", "not selected"),
    ("invite_on_start", "starting later", "starting later"),
    ("skip", "skipped", "skipped"),
)
# What was done beside a report row's words, when they do not say it already.
APPLIED_WORDS = {"not_selected": "not selected", "noted": "noted", "added_quietly": "added quietly"}
COUNT_WORDS = {  # a preview's counts (and a waiting run's plan): (one, many)
    "invite": ("to invite", "to invite"),
    "invite_on_start": ("starting later", "starting later"),
    "already_member": ("already a member", "already members"),
    "already_invited": ("already invited", "already invited"),
    "update": ("to update", "to update"),
    "deactivate": ("to deactivate (left)", "to deactivate (left)"),
    "skip": ("skipped", "skipped"),
}


def outcome_said(outcome: str, *, quiet: bool = False) -> str:
    """An outcome in words, "Already a member"; a new hire added without an email (``quiet``,
    the connection's new hires) is "Add quietly"."""
    if outcome == "invite" and quiet:
        return "Add quietly"
    return OUTCOME_WORDS.get(outcome, outcome)


def counts_said(counts: Mapping[str, int]) -> list[str]:
    """A plan's counts in words, "2 to invite", in the order of ``COUNT_WORDS`` (none left out)."""
    return [f"{counts[o]} {COUNT_WORDS[o][0 if counts[o] == 1 else 1]}" for o in COUNT_WORDS if counts.get(o)]


def results_said(counts: Mapping[str, int]) -> list[str]:
    """What a run did in words, "2 invited", "1 invitation revoked", in ``RESULT_WORDS``' order."""
    return [
        f"{counts[key]} {one if counts[key] == 1 else many}"
        for key, one, many in RESULT_WORDS
        if counts.get(key)
    ]


NAMES_SAID = 5  # the people who left or changed named in ``unlinked_said``; "and N more" after


def unlinked_said(unlinked: Sequence[Step], system: str) -> str:
    """The people a sync leaves as they are (``Plan.unlinked``), said once: how many, and who
    of them left or changed in the system (the ``not_managed`` skips, which a row each would
    say again at every preview); "" when there is none. Each face adds its way to link them
    (the page's Link them, ``admit hr link``, the API's ``manage_existing``)."""
    if not unlinked:
        return ""
    said = (
        f"{len(unlinked):,} already in the portal joined another way, not linked to {system}: a sync "
        "will not change them, nor deactivate them when they leave it."
    )
    moved = [s.name or s.known_address for s in unlinked if s.reason == HrSkipCode.NOT_MANAGED]
    if moved:
        named = ", ".join(moved[:NAMES_SAID])
        if len(moved) > NAMES_SAID:
            named += f" and {len(moved) - NAMES_SAID:,} more"
        if len(moved) < len(unlinked):
            who = f"{len(moved):,} of them"
        else:
            who = "They" if len(moved) == 1 else "All of them"
        said += f" {who} left or changed in {system}: {named}."
    return said


def linking_said(system: str) -> str:
    """Said once a connection links people already in the portal (the preview's Link them,
    ``admit hr link``)."""
    return (
        f"{system} now links people already in the portal: from its next sync on, it keeps them up "
        "to date and deactivates them when they leave it."
    )
