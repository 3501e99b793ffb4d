"""The alert banner on every signed-in page: alerts raised before the page opened, for the viewer only; the
alert stream and the service worker only where the session may use them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from shopwatch.alerts.models import Alert, AlertPreference, AreaMode
from shopwatch.alerts.selectors import banner_alerts, receives_alerts
from shopwatch.alerts.services import alert_acknowledge, alert_raise
from shopwatch.core.middleware import needs_two_factor
from shopwatch.core.models import OrganisationKind, Role, User
from tests.core.support import sign_in_verified
from tests.world import World, _org, _user

BANNER = re.compile(r'<section id="alert-banner"(.*?)</section>', re.S)


def _banner(client: Client, path: str = "/incidents/") -> str:
    page = client.get(path)
    assert page.status_code == 200
    found = BANNER.search(page.content.decode())
    return found.group(0) if found else ""


def _login(world: World, name: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(pk=world.users[name].pk))
    return client


@pytest.mark.django_db
def test_an_alert_raised_before_the_page_opens_is_in_the_banner(world: World) -> None:
    alert = alert_raise(
        viewer=world.viewer("manager"),
        store_id=world.stores["nw-brighton"].pk,
        message="Two men with a holdall heading to Western Road",
    )
    banner = _banner(_login(world, "same_partnership_reporter"))
    assert "Two men with a holdall heading to Western Road" in banner
    assert f'href="/alerts/{alert.pk}/"' in banner
    assert " hidden" not in banner.split(">", 1)[0]
    # Never for someone outside the area, nor for the person who raised it.
    assert "Western Road" not in _banner(_login(world, "unconnected_reporter"))
    assert "Western Road" not in _banner(_login(world, "manager"))


@pytest.mark.django_db
def test_acknowledged_and_old_alerts_leave_the_banner(world: World) -> None:
    store = world.stores["nw-brighton"].pk
    old = alert_raise(viewer=world.viewer("manager"), store_id=store, message="Yesterday's group")
    Alert.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=30))
    fresh = alert_raise(viewer=world.viewer("manager"), store_id=store, message="Group at the tills now")
    viewer = world.viewer("same_partnership_reporter")
    assert [a.pk for a in banner_alerts(viewer=viewer)] == [fresh.pk]
    alert_acknowledge(viewer=viewer, alert=fresh)
    assert banner_alerts(viewer=viewer) == []
    banner = _banner(_login(world, "same_partnership_reporter"))
    assert "Group at the tills now" not in banner
    assert " hidden" in banner.split(">", 1)[0]  # the live region is there, waiting for new alerts


@pytest.mark.django_db
def test_the_banner_keeps_to_a_members_chosen_distance(world: World) -> None:
    # Hove is about 2.2 km from the Brighton store.
    AlertPreference.objects.create(
        user=world.users["other_store_reporter"], mode=AreaMode.RADIUS, radius_km=1.0
    )
    alert_raise(
        viewer=world.viewer("manager"), store_id=world.stores["nw-brighton"].pk, message="Near Brighton"
    )
    assert banner_alerts(viewer=world.viewer("other_store_reporter")) == []
    AlertPreference.objects.filter(user=world.users["other_store_reporter"]).update(radius_km=5.0)
    assert [a.message for a in banner_alerts(viewer=world.viewer("other_store_reporter"))] == [
        "Near Brighton"
    ]


@pytest.mark.django_db
def test_the_stream_is_opened_only_for_people_who_receive_alerts(world: World) -> None:
    _org(world, "opal", OrganisationKind.NATIONAL_UNIT, "Opal")
    _user(world, "national_analyst", Role.ANALYST, "opal")
    receiving = {"reporter", "manager", "security", "partnership_manager", "police_sussex", "analyst_sussex"}
    silent = {"pcc", "navigator", "admin", "national_analyst"}
    for name in receiving | silent:
        assert receives_alerts(world.viewer(name)) is (name in receiving), name
        account = User.objects.get(pk=world.users[name].pk)
        client = Client()
        if needs_two_factor(account):
            sign_in_verified(client, account)
        else:
            client.force_login(account)
        html = client.get("/alerts/").content.decode()
        assert ("data-stream-url" in html) is (name in receiving), name


@pytest.mark.django_db
def test_the_two_factor_page_starts_no_stream_and_no_service_worker(world: World) -> None:
    client = Client()
    client.force_login(User.objects.get(pk=world.users["analyst_sussex"].pk))
    page = client.get("/account/two-factor/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-stream-url" not in html
    assert "alerts/live.js" not in html
    assert "offline.js" not in html
    assert "data-sw-url" not in html


@pytest.mark.django_db
def test_the_service_worker_keeps_only_pages_the_user_may_open(world: World) -> None:
    assert _offline_pages(_banner_page(world, "reporter")) == [
        "/incidents/new/",
        "/incidents/waiting/",
        "/incidents/",
    ]
    assert _offline_pages(_banner_page(world, "pcc")) == ["/incidents/"]


def _banner_page(world: World, name: str) -> str:
    return _login(world, name).get("/alerts/").content.decode()


def _offline_pages(html: str) -> list[str]:
    found = re.search(r'data-offline-pages="([^"]*)"', html)
    assert found is not None
    return found.group(1).split()
