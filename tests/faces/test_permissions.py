"""Who may search, open a search and read a processing record: every world user, in the matrix style."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.http import Http404

from shopwatch.evidence.models import EvidenceFile
from shopwatch.faces.rules import may_search
from shopwatch.faces.selectors import processing_record, search_get
from shopwatch.faces.services import face_encodings_refresh, face_search_run
from tests.faces.conftest import Faces
from tests.world import World

pytestmark = pytest.mark.django_db

USERS = [
    "reporter",
    "manager",
    "other_store_reporter",
    "security",
    "same_partnership_reporter",
    "connected_reporter",
    "unconnected_reporter",
    "partnership_manager",
    "connected_partnership_manager",
    "unconnected_partnership_manager",
    "police_sussex",
    "supervisor_sussex",
    "analyst_sussex",
    "police_tv",
    "pcc",
    "navigator",
    "admin",
]
MAY_SEARCH = {"police_sussex", "supervisor_sussex", "police_tv"}
OPENS_SUSSEX_SEARCH = {"police_sussex", "supervisor_sussex", "admin"}
READS_BRIGHTON_RECORD = {
    "partnership_manager",
    "police_sussex",
    "supervisor_sussex",
    "analyst_sussex",
    "admin",
}


def test_the_matrix(world: World, faces: Faces, still_of: Callable[[int], EvidenceFile]) -> None:
    faces.person(2)
    face_encodings_refresh()
    search = face_search_run(
        viewer=world.viewer("police_sussex"), evidence_id=still_of(2).pk, purpose="Enquiry"
    )
    for name in USERS:
        viewer = world.viewer(name)
        assert may_search(viewer) == (name in MAY_SEARCH), name
        try:
            search_get(viewer=viewer, search_id=search.pk)
            opened = True
        except Http404:
            opened = False
        assert opened == (name in OPENS_SUSSEX_SEARCH), name
        try:
            processing_record(viewer=viewer, slug="brighton-bcrp")
            read = True
        except Http404:
            read = False
        assert read == (name in READS_BRIGHTON_RECORD), name


def test_thames_valley_police_see_no_sussex_gallery(
    world: World, faces: Faces, still_of: Callable[[int], EvidenceFile]
) -> None:
    faces.person(2)
    face_encodings_refresh()
    # The still is a Sussex store's, not shared with Thames Valley: the same 404 as a missing one.
    with pytest.raises(Http404):
        face_search_run(viewer=world.viewer("police_tv"), evidence_id=still_of(2).pk, purpose="Enquiry")
