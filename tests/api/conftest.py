from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache

from tests.api.support import ApiClient, api_client_for
from tests.world import World


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Rate-limit counters live in the cache; each test starts with none."""
    cache.clear()


@pytest.fixture
def api(world: World) -> Callable[[str], ApiClient]:
    """``api("reporter")``: a client holding a new API key of that world user."""
    return lambda name: api_client_for(world, name)
