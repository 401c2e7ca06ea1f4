"""Generic helpers: bulk ids and tokens are as random and well-formed as the one-at-a-time kind."""

from __future__ import annotations

import base64
import uuid

from admit.kit.bulk import new_ids, new_tokens


def test_bulk_ids_are_version_4_and_distinct():
    """Ids made in bulk are RFC 4122 version-4 UUIDs, all different, equal to their parsed text."""
    ids = new_ids(5000)
    assert len(set(ids)) == 5000
    for u in ids[:500]:
        assert (u.version, u.variant) == (4, uuid.RFC_4122)
        assert uuid.UUID(str(u)) == u and hash(uuid.UUID(u.hex)) == hash(u)


def test_bulk_tokens_are_256_bits():
    """Tokens made in bulk carry 32 random bytes each, base64url without padding."""
    tokens = new_tokens(2000)
    assert len(set(tokens)) == 2000
    for t in tokens[:200]:
        assert "=" not in t and len(base64.urlsafe_b64decode(t + "=")) == 32
