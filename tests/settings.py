"""Settings for the test suite: the real ones, with a throwaway data directory and immediate tasks."""

import os
import tempfile

os.environ["SHOPWATCH_ENV"] = "test"
if "SHOPWATCH_DATA_DIR" not in os.environ:
    os.environ["SHOPWATCH_DATA_DIR"] = os.environ["SHOPWATCH_TEST_DATA_DIR"] = tempfile.mkdtemp(
        prefix="shopwatch-test-"
    )
_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker and os.environ["SHOPWATCH_DATA_DIR"] == os.environ.get("SHOPWATCH_TEST_DATA_DIR"):
    # Each pytest-xdist worker has a data directory of its own (the workers inherit the one the main process
    # made): its stored files, uploads and the files a backup copies are its own tests' only. A `shopwatch`
    # process started by a test is given its data directory explicitly and keeps it.
    os.environ["SHOPWATCH_DATA_DIR"] = tempfile.mkdtemp(prefix=f"shopwatch-test-{_worker}-")

from shopwatch.settings import *  # noqa: E402, F403
from shopwatch.settings import PASSWORD_HASHERS  # noqa: E402

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
