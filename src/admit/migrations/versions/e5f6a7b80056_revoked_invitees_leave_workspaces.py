"""Someone whose portal invitation was revoked before this release, and who had not joined,
leaves the workspaces they were still Not Joined in on it (``flows.workspace_people.
invitation_revoked`` does it at Revoke now): their roles there end and their open actions there
are for no one, as Remove does. Someone whose newer invitation stands (still pending) stays.

Revision ID: e5f6a7b80056
Revises: f6a7b8c90057
Create Date: 2026-12-07 06:50:00
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "e5f6a7b80056"
down_revision = "f6a7b8c90057"
branch_labels = None
depends_on = None

# The memberships to end: Not Joined, on a revoked invitation, no pending one of theirs standing.
STALE = """
    SELECT wm.id FROM workspace_members wm
    JOIN workspaces w ON w.id = wm.workspace_id
    JOIN invitations i ON i.id = wm.invitation_id
    WHERE wm.status = 'not_joined' AND i.status = 'revoked'
      AND NOT EXISTS (
        SELECT 1 FROM invitations o
        WHERE o.portal_id = w.portal_id AND o.recipient = i.recipient AND o.status = 'pending'
      )
"""


def upgrade() -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    op.get_bind().execute(
        sa.text(
            f"""
            UPDATE workspace_role_assignments SET ended_at = :now
            WHERE ended_at IS NULL AND EXISTS (
                SELECT 1 FROM workspace_members wm JOIN workspace_roles r ON r.workspace_id = wm.workspace_id
                WHERE wm.id IN ({STALE}) AND r.id = workspace_role_assignments.role_id
                  AND wm.user_id = workspace_role_assignments.user_id
            )
            """
        ),
        {"now": now},
    )
    op.execute(
        f"""
        UPDATE workspace_actions SET assignee_id = NULL
        WHERE done_at IS NULL AND EXISTS (
            SELECT 1 FROM workspace_members wm
            WHERE wm.id IN ({STALE}) AND wm.workspace_id = workspace_actions.workspace_id
              AND wm.user_id = workspace_actions.assignee_id
        )
        """
    )
    op.execute(f"DELETE FROM workspace_members WHERE id IN ({STALE})")


def downgrade() -> None:
    """Nothing to put back: they were not coming (invite them again to bring them in)."""
