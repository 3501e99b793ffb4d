"""Notifications on a device are turned on and off with that device's button; saving the other alert choices
never drops a device's subscription."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from shopwatch.alerts.models import AlertPreference, PushSubscription
from tests.world import World

KEYS = {
    "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
    "auth": "tBHItJI5svbpez7KI4CCXg",
}
ENDPOINT = "https://fcm.googleapis.com/fcm/send/device-one"


def _client(world: World, name: str) -> Client:
    client = Client()
    client.force_login(world.users[name])
    return client


@pytest.mark.django_db
def test_saving_alert_choices_keeps_this_devices_notifications(world: World) -> None:
    manager = _client(world, "manager")
    answer = manager.post(
        "/alerts/push/subscribe/",
        json.dumps({"endpoint": ENDPOINT, "keys": KEYS}),
        content_type="application/json",
    )
    assert answer.status_code == 201
    page = manager.get("/alerts/preferences/").content.decode()
    assert "Turn on notifications" in page
    assert 'name="by_push"' not in page  # never a box that asks the browser on its own
    saved = manager.post("/alerts/preferences/", {"mode": "radius", "radius_km": "3", "by_email": "on"})
    assert saved.status_code == 302
    assert PushSubscription.objects.filter(endpoint=ENDPOINT).exists()
    pref = AlertPreference.objects.get(user=world.users["manager"])
    assert (pref.mode, pref.radius_km, pref.by_email, pref.by_push) == ("radius", 3.0, True, True)


@pytest.mark.django_db
def test_turning_notifications_off_forgets_only_this_device(world: World) -> None:
    manager = _client(world, "manager")
    for endpoint in (ENDPOINT, ENDPOINT + "-two"):
        manager.post(
            "/alerts/push/subscribe/",
            json.dumps({"endpoint": endpoint, "keys": KEYS}),
            content_type="application/json",
        )
    # Someone else cannot turn off the manager's device.
    other = _client(world, "reporter")
    other.post(
        "/alerts/push/unsubscribe/", json.dumps({"endpoint": ENDPOINT}), content_type="application/json"
    )
    assert PushSubscription.objects.filter(endpoint=ENDPOINT).exists()

    off = manager.post(
        "/alerts/push/unsubscribe/", json.dumps({"endpoint": ENDPOINT}), content_type="application/json"
    )
    assert off.status_code == 200
    assert not PushSubscription.objects.filter(endpoint=ENDPOINT).exists()
    assert AlertPreference.objects.get(user=world.users["manager"]).by_push is True  # the second device
    manager.post(
        "/alerts/push/unsubscribe/",
        json.dumps({"endpoint": ENDPOINT + "-two"}),
        content_type="application/json",
    )
    assert AlertPreference.objects.get(user=world.users["manager"]).by_push is False
    assert (
        manager.post("/alerts/push/unsubscribe/", "not json", content_type="application/json").status_code
        == 400
    )
