"""Signing test clients in the way a person does: password, then (where the role needs it) a TOTP code."""

from __future__ import annotations

from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from shopwatch.core.models import User


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def confirmed_device(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


def sign_in_verified(client: Client, user: User) -> TOTPDevice:
    """A session that has given a correct TOTP code through the two-factor page."""
    client.force_login(user)
    device = confirmed_device(user)
    response = client.post("/account/two-factor/", {"token": current_code(device), "next": "/"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return device
