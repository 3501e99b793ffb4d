"""Helpers for the data.police.uk tests: the real files (read in place, never copied into the repo),
independent counts made with the csv module, the import command, and API clients per world user."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client

from shopwatch.core.apikeys import apikey_create
from shopwatch.core.models import User
from tests.shared_data import DATA as SHARED_DATA
from tests.world import World

DATA = SHARED_DATA / "police-uk"
STREET = DATA / "street"
NO_OUTCOME = "No outcome recorded"


def street_file(month: str, force: str, shoplifting_only: bool = False) -> Path:
    suffix = "-shoplifting-only" if shoplifting_only else ""
    return STREET / month / f"{month}-{force}-street{suffix}.csv"


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def expected_counts(path: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Crime types and last outcomes of a street file, counted with nothing but the csv module."""
    rows = read_rows(path)
    crime_types = Counter(r["Crime type"] for r in rows)
    outcomes = Counter(r["Last outcome category"] or NO_OUTCOME for r in rows)
    return dict(crime_types), dict(outcomes)


@dataclass
class Imported:
    output: str
    failed: bool


def run_import(*paths: Path | str) -> Imported:
    out = io.StringIO()
    try:
        call_command("import_police_uk", *[str(p) for p in paths], stdout=out)
    except CommandError:
        return Imported(out.getvalue(), failed=True)
    return Imported(out.getvalue(), failed=False)


@dataclass
class ApiUser:
    client: Client
    secret: str

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, headers={"Authorization": f"Bearer {self.secret}"})


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def api(world: World) -> Callable[[str], ApiUser]:
    def make(name: str) -> ApiUser:
        user = User.objects.get(pk=world.users[name].pk)
        key = apikey_create(viewer=world.viewer("admin"), user=user, name=f"{name} test key")
        return ApiUser(client=Client(), secret=key.secret)

    return make
