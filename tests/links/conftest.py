import pytest


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Every links test runs with the test settings (rate limits off unless a test turns them on)."""
    return settings
