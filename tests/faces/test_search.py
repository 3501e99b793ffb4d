"""Searching a still: candidates above the threshold, nothing of the still kept, audit and subject access."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

import pytest

from shopwatch.core.errors import ValidationFailed
from shopwatch.core.models import AuditEvent
from shopwatch.evidence.models import EvidenceFile
from shopwatch.faces import engine
from shopwatch.faces.models import FaceCandidate, FaceEncoding, FaceSearch
from shopwatch.faces.services import face_encodings_refresh, face_search_run
from shopwatch.intelligence.selectors import subject_access_archive
from tests.faces.conftest import Faces, two_faces
from tests.world import World

pytestmark = pytest.mark.django_db


def test_a_still_of_a_listed_person_finds_them_as_the_top_candidate(
    world: World, faces: Faces, still_of: Callable[[int], EvidenceFile]
) -> None:
    wanted = faces.person(2)
    other = faces.person(6, name="Other")
    assert face_encodings_refresh() == {"encoded": 2, "deleted": 0}
    still = still_of(2)
    stored = FaceEncoding.objects.count()

    search = face_search_run(
        viewer=world.viewer("police_sussex"), evidence_id=still.pk, purpose="Theft 47/1234"
    )

    candidates = list(search.candidates.order_by("rank"))
    assert [c.person_id for c in candidates] == [wanted.pk]
    assert candidates[0].similarity >= engine.MATCH_THRESHOLD
    assert other.pk not in {c.person_id for c in candidates}
    assert (search.faces_found, search.gallery_size, search.method) == (1, 2, "exact")
    # The still's own face is never stored.
    assert FaceEncoding.objects.count() == stored
    assert not FaceEncoding.objects.filter(evidence=still).exists()


def test_nothing_below_the_threshold_is_a_candidate(
    world: World, faces: Faces, still_of: Callable[[int], EvidenceFile]
) -> None:
    for n in (1, 4, 6, 9):
        faces.person(n, name=f"P{n}")
    face_encodings_refresh()
    search = face_search_run(
        viewer=world.viewer("police_sussex"), evidence_id=still_of(12).pk, purpose="Enquiry"
    )
    assert search.faces_found == 1
    assert search.gallery_size == 4
    assert not search.candidates.exists()


def test_faces_in_the_still_without_a_candidate_leave_nothing_behind(world: World, faces: Faces) -> None:
    wanted = faces.person(3)
    face_encodings_refresh()
    still = faces.still(two_faces(3, 14))
    search = face_search_run(viewer=world.viewer("police_sussex"), evidence_id=still.pk, purpose="Enquiry")
    assert search.faces_found == 2
    (candidate,) = search.candidates.all()
    assert candidate.person_id == wanted.pk
    right = candidate.probe_box[1]
    assert right <= 320  # the box of the matched face (the left one) only
    assert FaceEncoding.objects.filter(evidence=still).count() == 0


def test_a_still_that_is_not_an_image_or_has_no_purpose_is_refused(
    world: World, faces: Faces, still_of: Callable[[int], EvidenceFile]
) -> None:
    still = still_of(2)
    with pytest.raises(ValidationFailed) as caught:
        face_search_run(viewer=world.viewer("police_sussex"), evidence_id=still.pk, purpose="  ")
    assert [e.field for e in caught.value.errors] == ["purpose"]
    assert not FaceSearch.objects.exists()


def test_every_search_and_result_list_is_audited_and_in_the_persons_subject_access(
    world: World, faces: Faces, still_of: Callable[[int], EvidenceFile]
) -> None:
    wanted = faces.person(2)
    face_encodings_refresh()
    search = face_search_run(
        viewer=world.viewer("police_sussex"), evidence_id=still_of(2).pk, purpose="Enquiry"
    )
    created = AuditEvent.objects.get(object_type="face_search", object_id=str(search.pk), action="create")
    assert created.actor_id == world.users["police_sussex"].pk
    assert created.detail["persons"] == [wanted.pk]
    shown = AuditEvent.objects.get(object_type="person", object_id=str(wanted.pk), action="list")
    assert f"face search {search.pk}" in shown.summary

    archive = subject_access_archive(viewer=world.viewer("partnership_manager"), person=wanted)
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        audit = json.loads(z.read("audit.json"))
    assert any(f"face search {search.pk}" in row["summary"] for row in audit)


def test_the_top_k_are_the_most_similar_people_each_once(
    world: World, faces: Faces, still_of: Callable[[int], EvidenceFile]
) -> None:
    wanted = faces.person(2)
    # A second photo of the same person adds a face but not a second candidate.
    from shopwatch.subjects.services import person_photo_add
    from tests.faces.conftest import face_bytes

    person_photo_add(
        viewer=world.viewer("partnership_manager"),
        person=wanted,
        fileobj=io.BytesIO(face_bytes(2, side=180)),
        filename="again.jpg",
    )
    face_encodings_refresh()
    search = face_search_run(
        viewer=world.viewer("police_sussex"), evidence_id=still_of(2).pk, purpose="Enquiry"
    )
    assert search.gallery_size == 2
    assert list(FaceCandidate.objects.filter(search=search).values_list("person_id", flat=True)) == [
        wanted.pk
    ]
