"""How a member came in (User Management names the invite link for those who signed up through it)

Revision ID: f4a5b6c70039
Revises: e3f4a5b60038
Create Date: 2026-12-05 16:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "f4a5b6c70039"
down_revision = "e3f4a5b60038"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, not a rebuild (members has children and triggers on SQLite).
    op.add_column("members", sa.Column("joined_via", sa.String(16), nullable=True))
    # Members made by confirming a link sign-up before: each such sign-up names its member.
    # (Others stay unknown: nothing before kept how they came in, and only the link is shown.)
    op.execute(
        "UPDATE members SET joined_via = 'invite_link' WHERE id IN "
        "(SELECT member_id FROM link_signups WHERE outcome = 'joined' AND member_id IS NOT NULL)"
    )


def downgrade() -> None:
    op.drop_column("members", "joined_via")  # SQLite 3.35+: a plain DROP COLUMN
