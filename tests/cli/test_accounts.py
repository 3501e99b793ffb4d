"""`shopwatch accounts --json` and `shopwatch totp EMAIL` against the seeded demo world."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from shopwatch.core.models import Membership, Role, Store, User


def _accounts() -> dict[str, dict[str, object]]:
    out = StringIO()
    call_command("accounts", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert isinstance(rows, list)
    return {r["email"]: r for r in rows}


def test_accounts_json_describes_every_seeded_user(db: None) -> None:
    call_command("seed", incidents=0, stdout=StringIO())
    rows = _accounts()
    assert set(rows) == set(User.objects.values_list("email", flat=True))
    assert {r for row in rows.values() for r in row["roles"]} == set(Role.values)  # type: ignore[attr-defined]
    for row in rows.values():
        assert set(row) >= {"email", "roles", "organisation", "partnerships", "force"}

    assert rows["reporter@demo.shopwatch.test"] | {"name": None, "active": None} == {
        "email": "reporter@demo.shopwatch.test",
        "roles": ["store_reporter"],
        "organisation": "northway",
        "partnerships": ["brighton-bcrp"],
        "force": "sussex",
        "name": None,
        "active": None,
    }
    # A store colleague takes part in their store's partnerships and works in its force.
    for m in Membership.objects.filter(role=Role.STORE_REPORTER).select_related("store__force", "user"):
        assert m.store is not None
        row = rows[m.user.email]
        assert row["partnerships"] == sorted(m.store.partnerships.values_list("slug", flat=True))
        assert row["force"] == m.store.force.slug
        assert row["organisation"] == m.store.retailer.slug
    # A chain's security manager takes part in every partnership its stores are in.
    northway = sorted(
        set(Store.objects.filter(retailer__slug="northway").values_list("partnerships__slug", flat=True))
        - {None}
    )
    assert (
        rows["security@demo.shopwatch.test"]["partnerships"]
        == northway
        == ["brighton-bcrp", "crawley-bcrp", "oxford-bcrp"]
    )
    assert rows["security@demo.shopwatch.test"]["force"] is None
    assert rows["partnership.crawley@demo.shopwatch.test"]["partnerships"] == ["crawley-bcrp"]
    assert rows["partnership.crawley@demo.shopwatch.test"]["force"] == "sussex"
    assert rows["investigator@demo.shopwatch.test"]["organisation"] == "sussex"
    assert rows["investigator@demo.shopwatch.test"]["force"] == "sussex"
    assert rows["investigator.thames-valley@demo.shopwatch.test"]["force"] == "thames-valley"
    assert rows["analyst@demo.shopwatch.test"]["organisation"] == "opal"
    assert rows["analyst@demo.shopwatch.test"]["force"] is None
    assert rows["pcc@demo.shopwatch.test"]["force"] == "sussex"
    assert rows["navigator@demo.shopwatch.test"]["partnerships"] == []
    assert rows["admin@demo.shopwatch.test"]["roles"] == ["platform_admin"]


def test_accounts_json_on_an_empty_database_is_an_empty_array(db: None) -> None:
    assert _accounts() == {}


def test_totp_prints_the_current_code_of_a_demo_device_only(db: None) -> None:
    call_command("seed", incidents=0, stdout=StringIO())
    out = StringIO()
    call_command("totp", "analyst@demo.shopwatch.test", stdout=out)
    code = out.getvalue().strip()
    assert len(code) == 6
    assert code.isdigit()
    device = TOTPDevice.objects.get(user__email="analyst@demo.shopwatch.test")
    assert device.verify_token(code)
    real = TOTPDevice.objects.get(user__email="investigator@demo.shopwatch.test")
    TOTPDevice.objects.filter(pk=real.pk).update(name="Authenticator app")
    with pytest.raises(CommandError, match="not a demo one"):
        call_command("totp", "investigator@demo.shopwatch.test", stdout=StringIO())
    with pytest.raises(CommandError, match="no confirmed two-factor device"):
        call_command("totp", "reporter@demo.shopwatch.test", stdout=StringIO())
