"""The report form never loses what was typed: a long description, a too-large form, a resend after Back."""

from __future__ import annotations

import re
from typing import Any

import pytest

from shopwatch.reporting.models import Incident
from tests.reporting.test_web_report import URL, _client, _form
from tests.world import World


def test_a_long_description_is_refused_inline_with_the_text_kept_never_cut(world: World) -> None:
    client = _client(world, "reporter")
    page = client.get(URL).content.decode()
    # The browser must not cut a paste silently: no maxlength on the description; the limit is shown.
    textarea = re.search(r"<textarea[^>]*name=\"description\"[^>]*>", page)
    assert textarea
    assert "maxlength" not in textarea.group(0)
    assert "10,000 characters" in page
    text = "They took razors and left by the back door. " * 300  # about 13,200 characters
    response = client.post(URL, {**_form(client), "type": "theft", "description": text})
    assert response.status_code == 422
    html = response.content.decode()
    assert "At most 10,000 characters" in html
    assert text.strip() in html
    assert not Incident.objects.exists()


def test_a_form_over_the_body_limit_answers_the_sites_own_page_not_a_bare_400(
    world: World, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4_000
    client = _client(world, "reporter")
    text = "Shouting at staff near the tills. " * 200  # about 6,800 bytes
    response = client.post(URL, {**_form(client), "type": "theft", "description": text})
    assert response.status_code == 413
    html = response.content.decode()
    assert "The form was too large to send" in html
    assert "still on the previous page" in html
    assert 'class="site-header"' in html
    assert not Incident.objects.exists()


def test_sending_the_same_form_again_shows_the_report_already_filed(world: World) -> None:
    client = _client(world, "reporter")
    form = {**_form(client), "type": "theft", "description": "Took two bottles of gin"}
    first = client.post(URL, form)
    assert first.status_code == 302
    again = client.post(URL, form, follow=True)
    assert Incident.objects.count() == 1
    incident = Incident.objects.get()
    html = again.content.decode()
    assert incident.reference in html
    assert "already sent" in html


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "files")
