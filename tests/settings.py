"""Settings for the test suite: the real ones, with a throwaway data directory and immediate tasks."""

import os
import tempfile

os.environ["SHOPWATCH_ENV"] = "test"
os.environ.setdefault("SHOPWATCH_DATA_DIR", tempfile.mkdtemp(prefix="shopwatch-test-"))

from shopwatch.settings import *  # noqa: F403
from shopwatch.settings import PASSWORD_HASHERS

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Argon2 stays first for stored passwords; tests that create many users hash with it too, which is slow
# but honest. Keep the list as production has it.
PASSWORD_HASHERS = PASSWORD_HASHERS
SHOPWATCH_API_RATE_LIMIT = 100_000

# SQLite tests use a file rather than memory: pytest-django hands an in-memory database's single connection
# to every live-server thread, so concurrent requests would share one connection and one transaction. With a
# file each request thread opens its own connection, as in production (WAL, BEGIN IMMEDIATE).
if "sqlite" in DATABASES["default"]["ENGINE"]:  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405
SHOPWATCH_ENTITLEMENT_CACHE_SECONDS = 0  # tests change memberships directly; caching is tested on its own
