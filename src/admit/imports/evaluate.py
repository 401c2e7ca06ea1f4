"""Turning an import's rows into the invitation pipeline's recipients, and deciding them.

A row's address is its email, or its phone number (in the phone column when there is no
email, or alone on its line); a ``role`` column may give a row its own role within what the
importer may grant (``invitations.options.row_role``); a row whose address is not one says so
first, its role's problem after. Every decision after that is the
pipeline's, the same as for a single invitation.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy.orm import Session

from admit import context
from admit.actor import Actor
from admit.imports.parsing import Row
from admit.invitations import pipeline
from admit.invitations.options import InviteOptions, row_role
from admit.invitations.pipeline import Recipient
from admit.members.addresses import looks_like_phone, normalize_email, normalize_phone
from admit.policy import Role

__all__ = ["SeenAddresses", "batched", "recipients", "decide"]


class SeenAddresses:
    """The addresses met so far in one list, kept as 8-byte digests instead of strings.

    A million-row list remembers every address to report later duplicates; digests take about
    half the memory. Two different addresses sharing a 64-bit digest is a ~1e-8 chance in a
    million-row file, and would only report one of them as a duplicate.
    """

    __slots__ = ("_digests",)

    def __init__(self, addresses: Iterable[str] = ()) -> None:
        self._digests: set[int] = {self._key(a) for a in addresses}

    @staticmethod
    def _key(address: str) -> int:
        return int.from_bytes(hashlib.blake2b(address.encode(), digest_size=8).digest(), "big")

    def __contains__(self, address: str) -> bool:
        return self._key(address) in self._digests

    def add(self, address: str) -> None:
        self._digests.add(self._key(address))

    def discard(self, address: str) -> None:
        self._digests.discard(self._key(address))

    def __len__(self) -> int:
        return len(self._digests)


def batched(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def recipients(
    session: Session, actor_role: Role | str | None, options: InviteOptions, rows: list[Row]
) -> list[Recipient]:
    """One pipeline recipient per row (its ``raw`` is what the report shows)."""
    region = context.of(session).settings.default_phone_region
    out = []
    for row in rows:
        role, refusal, why = row_role(actor_role, options, row.role)
        name = row.name
        # A phone number: in the phone column when there is no email, or alone on its line.
        phone_text = row.phone if not row.address else row.address if looks_like_phone(row.address) else ""
        if phone_text:
            shown = row.raw or phone_text
            address, error = normalize_phone(phone_text, region=region)
        elif row.address:
            shown = row.raw or row.address
            address, error = normalize_email(row.address)
        else:
            shown = row.raw or ""
            address, error = None, "The row has no email address or phone number."
        if error is not None:  # the address first: a row refused for its role is wrong there too
            out.append(Recipient(shown, None, name, f"{error} {why}" if why else error))
        elif refusal is not None:
            out.append(Recipient(shown, address, name, why, refusal=refusal))
        else:
            out.append(Recipient(shown, address, name, role=role))
    return out


@dataclass(slots=True)
class Decision:
    row: Row
    recipient: Recipient
    result: pipeline.RecipientResult | None  # None: will be invited (a preview)


def decide(
    session: Session, actor: Actor, options: InviteOptions, rows: list[Row], seen: SeenAddresses
) -> list[Decision]:
    """What the pipeline would do with each row, writing nothing (the preview)."""
    items = recipients(session, actor.role, options, rows)
    results = pipeline.classify(session, actor, items, seen)
    return [Decision(row, item, result) for row, item, result in zip(rows, items, results, strict=True)]
