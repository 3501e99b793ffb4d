"""Byte ranges: a video player seeks and a download resumes, with the same entitlement checks, and only the
start of a view or download enters the chain of custody."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.test import Client

from shopwatch.evidence.models import CustodyAction, EvidenceFile
from shopwatch.evidence.services import evidence_add
from tests.evidence.images import jpeg_bytes
from tests.evidence.test_evidence_api import api
from tests.world import World


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.fixture
def photo(world: World) -> tuple[EvidenceFile, bytes]:
    data = jpeg_bytes((90, 20, 20), size=(640, 480))
    incident = world.report("reporter", "nw-brighton")
    evidence = evidence_add(
        viewer=world.viewer("reporter"), incident=incident, fileobj=io.BytesIO(data), filename="till.jpg"
    )
    return evidence, data


def _body(response: object) -> bytes:
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def _views(evidence: EvidenceFile) -> int:
    return evidence.custody.filter(action__in=[CustodyAction.VIEWED, CustodyAction.DOWNLOADED]).count()


def test_the_player_gets_the_ranges_it_asks_for(world: World, photo: tuple[EvidenceFile, bytes]) -> None:
    evidence, data = photo
    client = Client()
    client.force_login(world.users["reporter"])
    url = f"/evidence/{evidence.pk}/content"

    whole = client.get(url)
    assert whole.status_code == 200
    assert whole["Accept-Ranges"] == "bytes"
    assert whole["ETag"] == f'"{evidence.sha256}"'
    assert whole["Content-Length"] == str(len(data))
    assert _body(whole) == data

    first = client.get(url, HTTP_RANGE="bytes=0-99")
    assert first.status_code == 206
    assert first["Content-Range"] == f"bytes 0-99/{len(data)}"
    assert first["Content-Length"] == "100"
    assert _body(first) == data[:100]

    seek = client.get(url, HTTP_RANGE="bytes=1000-")
    assert seek.status_code == 206
    assert seek["Content-Range"] == f"bytes 1000-{len(data) - 1}/{len(data)}"
    assert _body(seek) == data[1000:]

    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert tail.status_code == 206
    assert _body(tail) == data[-10:]

    past_end = client.get(url, HTTP_RANGE="bytes=999999-")
    assert past_end.status_code == 416
    assert past_end["Content-Range"] == f"bytes */{len(data)}"

    # Several ranges, or a range for another version of the file: the whole file is the answer.
    several = client.get(url, HTTP_RANGE="bytes=0-9,20-29")
    assert several.status_code == 200
    assert _body(several) == data
    other_version = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"' + "0" * 64 + '"')
    assert other_version.status_code == 200
    same_version = client.get(url, HTTP_RANGE="bytes=5-9", HTTP_IF_RANGE=f'"{evidence.sha256}"')
    assert same_version.status_code == 206
    assert _body(same_version) == data[5:10]


def test_only_the_start_of_a_view_enters_the_chain_of_custody(
    world: World, photo: tuple[EvidenceFile, bytes]
) -> None:
    evidence, _ = photo
    client = Client()
    client.force_login(world.users["reporter"])
    url = f"/evidence/{evidence.pk}/content"
    client.get(url, HTTP_RANGE="bytes=0-")
    assert _views(evidence) == 1
    for start in (100, 2000, 4000):
        assert client.get(url, HTTP_RANGE=f"bytes={start}-").status_code == 206
    assert _views(evidence) == 1  # seeking continues the same view
    client.get(url)
    assert _views(evidence) == 2


def test_ranges_are_checked_like_everything_else(world: World, photo: tuple[EvidenceFile, bytes]) -> None:
    evidence, _ = photo
    stranger = Client()
    stranger.force_login(world.users["unconnected_reporter"])
    for url in (f"/evidence/{evidence.pk}/content", f"/evidence/{evidence.pk}/download"):
        assert stranger.get(url, HTTP_RANGE="bytes=100-").status_code == 404
    assert _views(evidence) == 0


def test_the_api_resumes_a_download(world: World, photo: tuple[EvidenceFile, bytes]) -> None:
    evidence, data = photo
    call = api(world, "reporter")
    client = Client()
    from shopwatch.core.apikeys import apikey_create
    from shopwatch.core.models import User

    secret = apikey_create(
        viewer=world.viewer("reporter"), user=User.objects.get(pk=world.users["reporter"].pk), name="r"
    ).secret
    headers = {"Authorization": f"Bearer {secret}"}
    first = client.get(f"/api/v1/evidence/{evidence.pk}/content", headers={**headers, "Range": "bytes=0-499"})
    assert first.status_code == 206
    rest = client.get(
        f"/api/v1/evidence/{evidence.pk}/content",
        headers={**headers, "Range": "bytes=500-", "If-Range": first["ETag"]},
    )
    assert rest.status_code == 206
    assert _body(first) + _body(rest) == data
    assert rest["Content-Disposition"].startswith("attachment")
    assert evidence.custody.filter(action=CustodyAction.DOWNLOADED).count() == 1
    assert call("get", f"/api/v1/evidence/{evidence.pk}/content").status_code == 200
