"""`shopwatch totp EMAIL`: the current two-factor code of a demo account's demo device."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from shopwatch.demo.world import DEMO_DEVICE_NAME


class Command(BaseCommand):
    help = (
        "Print the current 6-digit code of a demo account's two-factor device (the device named "
        f"'{DEMO_DEVICE_NAME}' that `shopwatch seed` creates). Refuses for any other device."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip().lower()
        devices = list(TOTPDevice.objects.filter(user__email__iexact=email, confirmed=True))
        if not devices:
            raise CommandError(f"{email} has no confirmed two-factor device.")
        demo = [d for d in devices if d.name == DEMO_DEVICE_NAME]
        if not demo:
            raise CommandError(
                f"{email} has a real two-factor device, not a demo one; "
                "its codes come only from its owner's app."
            )
        device = demo[0]
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
