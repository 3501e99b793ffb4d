"""Person records for linking tests, made through the subjects' own service from Splink's fake_1000 (real,
corrupted UK-style people whose true identity is its ``cluster`` column), read in place."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass

from shopwatch.core.models import Distribution
from shopwatch.subjects.models import Person
from shopwatch.subjects.services import person_create
from tests.shared_data import DATA
from tests.world import World

FAKE_1000 = DATA / "linkage" / "splink" / "fake_1000_from_splink_demos.csv"
# Who files a record for each home (the permission matrix's partnership managers).
OWNER = {"brighton-bcrp": "partnership_manager", "oxford-bcrp": "unconnected_partnership_manager"}


@dataclass
class Filed:
    person: Person
    cluster: str


def fake_rows(limit: int) -> list[dict[str, str]]:
    with FAKE_1000.open(newline="") as fh:
        return list(csv.DictReader(fh))[:limit]


def file_people(
    world: World,
    limit: int = 160,
    *,
    homes: tuple[str, ...] = ("brighton-bcrp", "oxford-bcrp"),
    distribution: str = Distribution.POLICE,
) -> list[Filed]:
    """The first ``limit`` rows of fake_1000 as persons, alternately held by each home partnership."""
    out = []
    for i, row in enumerate(fake_rows(limit)):
        home = homes[i % len(homes)]
        dob = dt.date.fromisoformat(row["dob"]) if row["dob"] else None
        person = person_create(
            viewer=world.viewer(OWNER[home]),
            owner_org=world.orgs[home],
            partnership=world.orgs[home],
            given_name=row["first_name"].strip(),
            family_name=row["surname"].strip() or ("" if row["first_name"].strip() else "Unknown"),
            date_of_birth=dob,
            distribution=distribution,
        )
        out.append(Filed(person, row["cluster"]))
    return out
