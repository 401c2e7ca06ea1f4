"""Migrations: from empty to head on both backends, and no drift from the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import admit.models  # noqa: F401
from admit.db import Base


class TestMigrations:
    def test_head_matches_models(self, db):
        """The migrated schema is exactly what the models declare (a model change needs a migration)."""
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        assert diff == []

    def test_upgrade_is_idempotent(self, db, database_url):
        """Running the migrations again on an up-to-date database changes nothing."""
        from admit.migrate import upgrade

        upgrade(database_url)
        with db.engine.connect() as conn:
            version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        assert version
