"""Redis for the tests that share rate limits across processes.

Set ADMIT_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0; ``scripts/test`` sets it when a server
answers there). Without it those tests skip, unless ADMIT_REQUIRE_REDIS=1 (CI), which makes them
fail. Each test counts under a key prefix of its own, so runs sharing one Redis never meet.
"""

from __future__ import annotations

import os
import uuid

import pytest


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("ADMIT_TEST_REDIS_URL")
    if not url:
        if os.environ.get("ADMIT_REQUIRE_REDIS") == "1":
            pytest.fail("ADMIT_REQUIRE_REDIS=1 but ADMIT_TEST_REDIS_URL is not set")
        pytest.skip("Redis: set ADMIT_TEST_REDIS_URL to run these")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"ADMIT_TEST_REDIS_URL={url} does not answer: {exc}")
    return url


@pytest.fixture
def key_prefix() -> str:
    return f"admit-test-{uuid.uuid4().hex[:12]}"
