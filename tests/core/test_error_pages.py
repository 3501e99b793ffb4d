"""Error pages are the site's own: a plain explanation and a way back; the 500 page needs no database."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from shopwatch.core.errorpages import server_error
from tests.world import World


@pytest.mark.django_db
def test_not_found_is_the_sites_own_page_with_a_way_back(world: World) -> None:
    client = Client()
    client.force_login(world.users["reporter"])
    response = client.get("/incidents/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert 'class="site-header"' in html
    assert '<a href="/">Go to your ShopWatch home page</a>' in html


def test_server_error_page_needs_neither_database_nor_user() -> None:
    request = RequestFactory().get("/incidents/")  # no user, no session; no database in this test
    response = server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert 'class="site-header"' in html
    assert '<a href="/">Go to your ShopWatch home page</a>' in html


@pytest.mark.django_db
def test_forbidden_is_the_sites_own_page(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["reporter"])
    response = client.post("/incidents/new/", {"description": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "You cannot do that here" in html
    assert '<a href="/">Go to your ShopWatch home page</a>' in html
