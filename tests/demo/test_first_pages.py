"""The demo seed gives a retail security manager and a platform admin real work on their first pages."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from shopwatch.alerts.selectors import estate_alerts
from shopwatch.core.entitlements import viewer_for
from shopwatch.core.models import User
from shopwatch.policing.selectors.firstpages import estate_requests
from shopwatch.reporting.selectors import estate_stores
from tests.core.support import sign_in_verified


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        call_command("seed", incidents=600, seed=11, stdout=StringIO())
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def _user(local: str) -> User:
    return User.objects.get(email=f"{local}@demo.shopwatch.test")


def test_the_demo_security_manager_has_an_estate_with_work(seeded: None, db: None) -> None:
    viewer = viewer_for(_user("security"))
    stores = estate_stores(viewer=viewer)
    assert len(stores) >= 2
    assert sum(s.last_month for s in stores) > 0
    assert stores[0].latest_reference
    assert estate_requests(viewer=viewer)
    assert estate_alerts(viewer=viewer)
    client = Client()
    client.force_login(_user("security"))
    first = client.get("/", follow=True)
    assert first.redirect_chain[-1][0] == "/estate/"
    assert "No alerts at your stores" not in first.content.decode()
    assert "No open requests from the police" not in first.content.decode()
    # The demo's current alerts are on the banner of every page until acknowledged.
    banner = client.get("/incidents/").content.decode()
    assert "left towards Western Road" in banner.split('id="alert-banner"', 1)[1].split("</section>", 1)[0]


def test_the_demo_admin_starts_on_the_health_page(seeded: None, db: None) -> None:
    admin = _user("admin")
    assert admin.is_superuser
    client = Client()
    sign_in_verified(client, admin)
    first = client.get("/", follow=True)
    assert first.redirect_chain[-1][0] == "/health/"
    page = first.content.decode()
    assert "Background tasks" in page
    assert "Users and their roles" in page
