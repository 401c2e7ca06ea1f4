import pytest


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Every workspaces test runs with the test settings (rate limits off)."""
    return settings
