from __future__ import annotations

import io

import pytest
from django.test import Client

from shopwatch.core.models import AuditEvent
from shopwatch.evidence import services
from shopwatch.evidence.models import EvidenceFile
from tests.evidence.images import jpeg_bytes
from tests.world import World


@pytest.fixture
def photo(world: World) -> EvidenceFile:
    inc = world.report("reporter", "nw-brighton")
    return services.evidence_add(
        viewer=world.viewer("reporter"),
        incident=inc,
        fileobj=io.BytesIO(jpeg_bytes(size=(900, 600))),
        filename="till.jpg",
    )


def _client(world: World, user: str) -> Client:
    c = Client()
    c.force_login(world.users[user])
    return c


# A shop in the same partnership sees what is shared at partnership level.
@pytest.mark.parametrize("user", ["reporter", "manager", "security", "same_partnership_reporter"])
def test_entitled_people_get_the_original_and_the_view_is_audited(
    world: World, photo: EvidenceFile, user: str
) -> None:
    response = _client(world, user).get(f"/evidence/{photo.pk}/content")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == jpeg_bytes(size=(900, 600))  # type: ignore[attr-defined]
    assert "private" in response["Cache-Control"]
    assert AuditEvent.objects.filter(
        object_type="evidence", object_id=str(photo.pk), action="view", actor=world.users[user]
    ).exists()


def test_thumbnail_is_small_jpeg_and_audited(world: World, photo: EvidenceFile) -> None:
    response = _client(world, "manager").get(f"/evidence/{photo.pk}/thumb")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    from PIL import Image

    with Image.open(io.BytesIO(body)) as img:
        assert img.size == (480, 320)
    photo.refresh_from_db()
    assert photo.thumbnail.name.startswith("thumbs/")
    assert AuditEvent.objects.filter(
        object_type="evidence", object_id=str(photo.pk), action="view", detail__purpose="thumbnail"
    ).exists()


@pytest.mark.parametrize("path", ["content", "thumb"])
@pytest.mark.parametrize("user", ["unconnected_reporter", "connected_reporter", "pcc", "navigator"])
def test_unentitled_get_the_same_404_as_missing(
    world: World, photo: EvidenceFile, path: str, user: str
) -> None:
    client = _client(world, user)
    forbidden = client.get(f"/evidence/{photo.pk}/{path}")
    missing = client.get(f"/evidence/{photo.pk + 1000}/{path}")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content
    assert not AuditEvent.objects.filter(object_type="evidence", action="view").exists()
    photo.refresh_from_db()
    assert not photo.thumbnail


def test_signed_out_visitor_is_sent_to_sign_in(world: World, photo: EvidenceFile) -> None:
    response = Client().get(f"/evidence/{photo.pk}/content")
    assert response.status_code == 302
    assert "/account/login/" in response["Location"]
