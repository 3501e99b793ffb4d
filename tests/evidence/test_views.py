from __future__ import annotations

import io

import pytest
from django.test import Client

from shopwatch.core.models import AuditEvent
from shopwatch.evidence import services
from shopwatch.evidence.models import EvidenceFile
from tests.evidence.images import heic_bytes, jpeg_bytes
from tests.pages import without_tokens
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


def test_an_iphone_heic_photo_is_kept_as_is_and_previewed_as_jpeg(world: World) -> None:
    data = heic_bytes(size=(1200, 900))
    evidence = services.evidence_add(
        viewer=world.viewer("reporter"),
        incident=world.report("reporter", "nw-brighton"),
        fileobj=io.BytesIO(data),
        filename="IMG_0042.HEIC",
    )
    assert evidence.content_type == "image/heic"
    assert (evidence.width, evidence.height) == (1200, 900)
    client = _client(world, "manager")
    original = client.get(f"/evidence/{evidence.pk}/content")
    assert b"".join(original.streaming_content) == data  # type: ignore[attr-defined]
    thumb = client.get(f"/evidence/{evidence.pk}/thumb")
    assert thumb["Content-Type"] == "image/jpeg"
    from PIL import Image

    with Image.open(io.BytesIO(b"".join(thumb.streaming_content))) as img:  # type: ignore[attr-defined]
        assert (img.format, img.size) == ("JPEG", (480, 360))
    page = client.get(f"/evidence/{evidence.pk}/").content.decode()
    assert f'src="/evidence/{evidence.pk}/thumb"' in page
    assert "A JPEG preview of the image/heic original" in page


def test_a_damaged_heic_is_refused_with_its_name(world: World) -> None:
    from shopwatch.core.errors import ValidationFailed

    data = heic_bytes()
    broken = data[:40] + b"\x00" * (len(data) - 40)
    with pytest.raises(ValidationFailed) as exc:
        services.evidence_add(
            viewer=world.viewer("reporter"),
            incident=world.report("reporter", "nw-brighton"),
            fileobj=io.BytesIO(broken),
            filename="IMG_0043.HEIC",
        )
    assert "IMG_0043.HEIC" in exc.value.errors[0].message
    assert not EvidenceFile.objects.exists()


def test_platform_admins_open_any_evidence(world: World, photo: EvidenceFile) -> None:
    from tests.core.support import sign_in_verified

    client = Client()
    sign_in_verified(client, world.users["admin"])
    response = client.get(f"/evidence/{photo.pk}/content")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["content", "thumb"])
@pytest.mark.parametrize("user", ["unconnected_reporter", "connected_reporter", "pcc", "navigator"])
def test_unentitled_get_the_same_404_as_missing(
    world: World, photo: EvidenceFile, path: str, user: str
) -> None:
    client = _client(world, user)
    forbidden = client.get(f"/evidence/{photo.pk}/{path}")
    missing = client.get(f"/evidence/{photo.pk + 1000}/{path}")
    assert forbidden.status_code == missing.status_code == 404
    assert without_tokens(forbidden.content) == without_tokens(missing.content)
    assert not AuditEvent.objects.filter(object_type="evidence", action="view").exists()
    photo.refresh_from_db()
    assert not photo.thumbnail


def test_signed_out_visitor_is_sent_to_sign_in(world: World, photo: EvidenceFile) -> None:
    response = Client().get(f"/evidence/{photo.pk}/content")
    assert response.status_code == 302
    assert "/account/login/" in response["Location"]
