"""Rules that run by themselves: watchlist, DPIA switch, exclusions, deletion with the image, decisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import override_settings
from django.utils import timezone

from shopwatch.core.errors import Conflict, NotEntitled, ValidationFailed
from shopwatch.core.models import AuditEvent
from shopwatch.evidence.models import EvidenceFile, EvidencePerson
from shopwatch.faces.models import FaceDecision, FaceEncoding, FaceSearch, SearchStatus
from shopwatch.faces.rules import may_search, watchlist_reasons
from shopwatch.faces.selectors import searchable_persons
from shopwatch.faces.services import (
    face_decision_record,
    face_encodings_refresh,
    face_exclusion_set,
    face_search_run,
    face_settings_set,
)
from shopwatch.subjects.services import person_erase
from tests.faces.conftest import Faces
from tests.world import World

pytestmark = pytest.mark.django_db


def searchable_ids(world: World, name: str = "police_sussex") -> set[int]:
    return set(searchable_persons(world.viewer(name)).values_list("pk", flat=True))


def test_only_adults_with_repeat_or_serious_offending_who_are_not_vulnerable_are_searchable(
    world: World, faces: Faces
) -> None:
    repeat = faces.person(None, incidents=2, name="Repeat")
    once = faces.person(None, incidents=1, name="Once")
    serious = faces.person(None, incidents=1, serious=True, name="Serious")
    child = faces.person(
        None, incidents=3, born=timezone.localdate() - dt.timedelta(days=17 * 365), name="Child"
    )
    unknown_age = faces.person(None, incidents=3, born=None, name="Unknown")
    stated_adult = faces.person(None, incidents=3, born=None, age_min=25, name="Adult")
    vulnerable = faces.person(None, incidents=3, name="Vulnerable")
    face_exclusion_set(viewer=world.viewer("police_sussex"), person_id=vulnerable.pk, note="Care leaver")

    assert searchable_ids(world) == {repeat.pk, serious.pk, stated_adult.pk}
    assert watchlist_reasons(child) == ["under 18"]
    assert watchlist_reasons(unknown_age) == ["not known to be 18 or over"]
    assert watchlist_reasons(vulnerable) == ["flagged vulnerable"]
    assert watchlist_reasons(once) == ["no serious incident and fewer than 2 incidents in 24 months"]
    assert watchlist_reasons(repeat) == []


def test_the_repeat_rule_is_a_setting(world: World, faces: Faces) -> None:
    once = faces.person(None, incidents=1, name="Once")
    twice = faces.person(None, incidents=2, name="Twice")
    with override_settings(SHOPWATCH_FACES_REPEAT_INCIDENTS=3):
        assert searchable_ids(world) == set()
    with override_settings(SHOPWATCH_FACES_REPEAT_INCIDENTS=1):
        assert searchable_ids(world) == {once.pk, twice.pk}


def test_a_partnership_manager_searches_only_after_a_dpia_is_recorded_and_the_feature_switched_on(
    world: World, faces: Faces, still_of: Callable[[int], EvidenceFile]
) -> None:
    pm = world.viewer("partnership_manager")
    bcrp = world.orgs["brighton-bcrp"]
    person = faces.person(2)
    face_encodings_refresh()
    still = still_of(2)
    assert not may_search(pm)
    with pytest.raises(NotEntitled):
        face_search_run(viewer=pm, evidence_id=still.pk, purpose="Enquiry")
    with pytest.raises(ValidationFailed) as caught:
        face_settings_set(
            viewer=pm,
            partnership=bcrp,
            enabled=True,
            dpia_reference="",
            dpia_approved_on=None,
            second_reviewer_required=False,
        )
    assert [e.field for e in caught.value.errors] == ["enabled"]
    face_settings_set(
        viewer=pm,
        partnership=bcrp,
        enabled=False,
        dpia_reference="DPIA-2026-07",
        dpia_approved_on=dt.date(2026, 7, 1),
        second_reviewer_required=False,
    )
    assert not may_search(world.viewer("partnership_manager"))
    face_settings_set(
        viewer=pm,
        partnership=bcrp,
        enabled=True,
        dpia_reference="DPIA-2026-07",
        dpia_approved_on=dt.date(2026, 7, 1),
        second_reviewer_required=False,
    )
    pm = world.viewer("partnership_manager")
    assert may_search(pm)
    search = face_search_run(viewer=pm, evidence_id=still.pk, purpose="Enquiry")
    assert [c.person_id for c in search.candidates.all()] == [person.pk]
    # Another partnership's manager is not switched on by Brighton's DPIA.
    assert not may_search(world.viewer("connected_partnership_manager"))


def test_flagging_a_person_vulnerable_deletes_their_stored_faces_and_keeps_them_out(
    world: World, faces: Faces, still_of: Callable[[int], EvidenceFile]
) -> None:
    person = faces.person(2)
    face_encodings_refresh()
    assert FaceEncoding.objects.filter(person=person).count() == 1
    face_exclusion_set(viewer=world.viewer("police_sussex"), person_id=person.pk, note="Vulnerable adult")
    assert not FaceEncoding.objects.filter(person=person).exists()
    assert face_encodings_refresh()["encoded"] == 0
    search = face_search_run(
        viewer=world.viewer("police_sussex"), evidence_id=still_of(2).pk, purpose="Enquiry"
    )
    assert not search.candidates.exists()
    with pytest.raises(Conflict):
        face_exclusion_set(viewer=world.viewer("police_sussex"), person_id=person.pk, note="Again")


def test_embeddings_go_with_their_image_under_erasure_and_retention(
    world: World, faces: Faces, still_of: Callable[[int], EvidenceFile]
) -> None:
    erased = faces.person(2, name="Erased")
    kept = faces.person(6, name="Kept")
    still = still_of(6)
    EvidencePerson.objects.create(evidence=still, person=kept, note="Seen on camera")
    face_encodings_refresh()
    assert FaceEncoding.objects.filter(person=kept, evidence=still).exists()

    person_erase(viewer=world.viewer("partnership_manager"), person=erased, reason="Erasure request")
    assert not FaceEncoding.objects.filter(person_id=erased.pk).exists()

    # Retention deletes the still (its row stays as a tombstone): it is out of every gallery at once, and
    # its encoding is deleted on the next refresh.
    EvidenceFile.objects.filter(pk=still.pk).update(deleted_at=timezone.now())
    search = face_search_run(
        viewer=world.viewer("police_sussex"), evidence_id=still_of(6).pk, purpose="Enquiry"
    )
    assert search.gallery_size == 1  # the gallery photo only
    assert face_encodings_refresh()["deleted"] == 1
    assert not FaceEncoding.objects.filter(evidence=still).exists()


def test_a_pairing_removed_takes_its_encoding_with_it(
    world: World, faces: Faces, still_of: Callable[[int], EvidenceFile]
) -> None:
    person = faces.person(None)
    still = still_of(6)
    pairing = EvidencePerson.objects.create(evidence=still, person=person)
    face_encodings_refresh()
    assert FaceEncoding.objects.filter(evidence=still, person=person).exclude(vector=None).exists()
    pairing.delete()
    assert face_encodings_refresh()["deleted"] == 1


def searched(world: World, faces: Faces, still_of: Callable[[int], EvidenceFile]) -> FaceSearch:
    faces.person(2)
    face_encodings_refresh()
    return face_search_run(
        viewer=world.viewer("police_sussex"), evidence_id=still_of(2).pk, purpose="Enquiry"
    )


def test_a_named_reviewer_records_a_decision_with_a_reason(
    world: World, faces: Faces, still_of: Callable[[int], EvidenceFile]
) -> None:
    search = searched(world, faces, still_of)
    candidate = search.candidates.get()
    reviewer = world.viewer("supervisor_sussex")
    with pytest.raises(ValidationFailed) as caught:
        face_decision_record(viewer=reviewer, search_id=search.pk, outcome="match", reason="Same scar")
    assert [e.field for e in caught.value.errors] == ["candidate"]
    with pytest.raises(ValidationFailed):
        face_decision_record(viewer=reviewer, search_id=search.pk, outcome="maybe", reason="")
    decision = face_decision_record(
        viewer=reviewer, search_id=search.pk, outcome="match", reason="Same scar", candidate_id=candidate.pk
    )
    assert (decision.reviewer_id, decision.candidate_id) == (
        world.users["supervisor_sussex"].pk,
        candidate.pk,
    )
    search.refresh_from_db()
    assert search.status == SearchStatus.DECIDED
    with pytest.raises(Conflict):
        face_decision_record(
            viewer=world.viewer("police_sussex"), search_id=search.pk, outcome="no_match", reason="x"
        )
    assert AuditEvent.objects.filter(
        object_type="person", object_id=str(candidate.person_id), summary__contains="reviewer decided a match"
    ).exists()


def test_a_partnership_can_require_a_second_reviewer(
    world: World, faces: Faces, still_of: Callable[[int], EvidenceFile]
) -> None:
    face_settings_set(
        viewer=world.viewer("partnership_manager"),
        partnership=world.orgs["brighton-bcrp"],
        enabled=False,
        dpia_reference="DPIA-1",
        dpia_approved_on=dt.date(2026, 1, 5),
        second_reviewer_required=True,
    )
    search = searched(world, faces, still_of)
    assert search.second_review_required
    face_decision_record(
        viewer=world.viewer("police_sussex"), search_id=search.pk, outcome="no_match", reason="Ears"
    )
    search.refresh_from_db()
    assert search.status == SearchStatus.AWAITING_SECOND
    with pytest.raises(Conflict):
        face_decision_record(
            viewer=world.viewer("police_sussex"), search_id=search.pk, outcome="no_match", reason="Again"
        )
    face_decision_record(
        viewer=world.viewer("supervisor_sussex"),
        search_id=search.pk,
        outcome="inconclusive",
        reason="Blurred",
    )
    search.refresh_from_db()
    assert search.status == SearchStatus.DECIDED
    assert FaceDecision.objects.filter(search=search).count() == 2


def test_the_scheduled_task_encodes_new_images_once_and_notes_images_without_a_face(
    world: World, faces: Faces
) -> None:
    import io

    from PIL import Image

    from shopwatch.faces.tasks import refresh_face_encodings
    from shopwatch.subjects.services import person_photo_add

    person = faces.person(2)
    wall = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 190, 180)).save(wall, format="JPEG")
    wall.seek(0)
    manager = world.viewer("partnership_manager")
    person_photo_add(viewer=manager, person=person, fileobj=wall, filename="wall.jpg")
    assert refresh_face_encodings.call() == {"encoded": 2, "deleted": 0}
    assert FaceEncoding.objects.filter(person=person, vector__isnull=True).count() == 1
    assert refresh_face_encodings.call() == {"encoded": 0, "deleted": 0}


def test_only_a_match_lets_a_person_record_that_the_still_shows_the_candidate(
    world: World, faces: Faces, still_of: Callable[[int], EvidenceFile]
) -> None:
    from shopwatch.faces.services import face_match_link

    search = searched(world, faces, still_of)
    candidate = search.candidates.get()
    police = world.viewer("police_sussex")
    with pytest.raises(Conflict):
        face_match_link(viewer=police, search_id=search.pk)
    assert not EvidencePerson.objects.filter(evidence_id=search.probe_id).exists()
    face_decision_record(
        viewer=police, search_id=search.pk, outcome="match", reason="Same scar", candidate_id=candidate.pk
    )
    pairing = face_match_link(viewer=police, search_id=search.pk)
    assert (pairing.evidence_id, pairing.person_id) == (search.probe_id, candidate.person_id)
    # The still now counts among the person's stored faces.
    face_encodings_refresh()
    assert FaceEncoding.objects.filter(evidence_id=search.probe_id, person_id=candidate.person_id).exists()
