"""The ``admit`` command, driven through click's CliRunner against the test database.

The CLI reads its settings from ``ADMIT_*`` variables (``admit.cli._shared.settings``), so every
call passes ADMIT_DATABASE_URL for the backend under test (the ``run_cli`` fixture).
"""

import pytest


@pytest.fixture
def run(run_cli):
    return run_cli
