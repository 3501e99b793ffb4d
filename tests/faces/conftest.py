"""A small face-search world: people with gallery photos and incidents, stills from a Brighton store."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from PIL import Image, ImageOps

from shopwatch.core.models import Distribution
from shopwatch.evidence.models import EvidenceFile
from shopwatch.evidence.services import evidence_add
from shopwatch.faces.labelled import DATA
from shopwatch.reporting.models import Incident
from shopwatch.reporting.services import OffenderInput
from shopwatch.subjects.models import Person
from shopwatch.subjects.services import person_create, person_photo_add
from tests.browser.conftest import csp_watch, phone_context  # noqa: F401  (the browser journey's fixtures)
from tests.world import World


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def face_bytes(n: int, *, mirror: bool = False, side: int | None = None) -> bytes:
    with Image.open(DATA / f"person{n:02d}.jpg") as img:
        image = img.convert("RGB")
    if mirror:
        image = ImageOps.mirror(image)
    if side:
        image = image.resize((side, side))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def two_faces(a: int, b: int) -> bytes:
    canvas = Image.new("RGB", (640, 320), (110, 110, 110))
    for i, n in enumerate((a, b)):
        with Image.open(io.BytesIO(face_bytes(n, mirror=True))) as img:
            canvas.paste(img.convert("RGB").resize((300, 300)), (10 + i * 320, 10))
    out = io.BytesIO()
    canvas.save(out, format="JPEG", quality=90)
    return out.getvalue()


@dataclass
class Faces:
    world: World

    def person(
        self,
        face: int | None,
        *,
        incidents: int = 2,
        serious: bool = False,
        born: dt.date | None = dt.date(1990, 5, 1),
        age_min: int | None = None,
        name: str = "Sam",
    ) -> Person:
        pm = self.world.viewer("partnership_manager")
        person = person_create(
            viewer=pm,
            owner_org=self.world.orgs["brighton-bcrp"],
            partnership=self.world.orgs["brighton-bcrp"],
            given_name=name,
            family_name=f"Face{face}",
            date_of_birth=born,
            age_min=age_min,
            distribution=Distribution.POLICE,
        )
        if face is not None:
            person_photo_add(viewer=pm, person=person, fileobj=io.BytesIO(face_bytes(face)), filename="p.jpg")
        for i in range(incidents):
            self.world.report(
                "reporter",
                "nw-brighton",
                offenders=[OffenderInput(person_id=person.pk)],
                flags=["violence"] if serious and i == 0 else [],
                occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=10 + i),
            )
        return person

    def still(self, data: bytes, name: str = "still.jpg") -> EvidenceFile:
        incident: Incident = self.world.report(
            "reporter", "nw-brighton", report_to_police=True, description="Shoplifter on camera"
        )
        return evidence_add(
            viewer=self.world.viewer("reporter"), incident=incident, fileobj=io.BytesIO(data), filename=name
        )


@pytest.fixture
def faces(world: World) -> Faces:
    return Faces(world)


@pytest.fixture
def still_of(faces: Faces) -> Callable[[int], EvidenceFile]:
    return lambda n: faces.still(face_bytes(n, mirror=True))
