"""Every role starts on a page with real work: a retail security manager on their estate, a platform admin on
the health page. Each is made of sections read through the owning app's selectors, scoped to the viewer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from shopwatch.alerts.services import alert_raise
from shopwatch.core.backup import make_backup
from shopwatch.core.models import User
from shopwatch.policing.models import Delivery, DeliveryStatus
from shopwatch.policing.services.triage import triage_request_cctv
from tests.core.support import sign_in_verified
from tests.world import World


def _web(world: World, name: str) -> Client:
    client = Client()
    account = User.objects.get(pk=world.users[name].pk)
    if name in {"admin", "partnership_manager", "police_sussex", "supervisor_sussex", "analyst_sussex"}:
        sign_in_verified(client, account)
    else:
        client.force_login(account)
    return client


@pytest.mark.django_db
def test_a_security_manager_starts_on_their_estate(world: World) -> None:
    hove = world.report("other_store_reporter", "nw-hove", description="Two bottles of whisky")
    for _ in range(2):
        world.report("reporter", "nw-brighton")
    old = world.report(
        "reporter", "nw-brighton", occurred_at=timezone.now() - dt.timedelta(days=20), description="Razors"
    )
    world.report("same_partnership_reporter", "corner-brighton")  # another retailer's store
    asked = world.report("reporter", "nw-brighton", report_to_police=True, description="Crate of spirits")
    triage_request_cctv(
        viewer=world.viewer("police_sussex"), incident=asked, reason="Entrance camera 14:00-14:30"
    )
    alert_raise(
        viewer=world.viewer("manager"),
        store_id=world.stores["nw-brighton"].pk,
        message="Group heading to Hove",
    )

    client = _web(world, "security")
    first = client.get("/", follow=True)
    assert first.redirect_chain[-1][0] == "/estate/"
    html = first.content.decode()
    assert "Your estate" in html
    rows = html[html.index('id="estate-stores"') : html.index('id="estate-alerts"')]
    # Busiest first: Brighton (4 this month, 3 this week), then Hove (1), then Oxford (none).
    assert rows.index("Nw Brighton") < rows.index("Nw Hove") < rows.index("Nw Oxford")
    assert f'href="/incidents/{asked.pk}/">{asked.reference}<' in rows  # Brighton's latest
    assert f'href="/incidents/{hove.pk}/">{hove.reference}<' in rows
    assert old.reference not in rows
    assert "Corner" not in rows
    assert "Group heading to Hove" in html
    requests = html[html.index('id="estate-requests"') :]
    assert asked.reference in requests
    assert hove.reference not in requests
    # Only for security managers.
    assert _web(world, "manager").get("/estate/").status_code == 404
    assert _web(world, "admin").get("/estate/").status_code == 404


@pytest.mark.django_db
def test_an_admin_starts_on_the_health_page(world: World, settings: Any, tmp_path: Path) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.DATA_DIR = tmp_path / "data"  # a data directory of its own: no backup made from it yet
    settings.DATA_DIR.mkdir()
    now = timezone.now()
    for status, finished in (
        (TaskResultStatus.READY, None),
        (TaskResultStatus.READY, None),
        (TaskResultStatus.RUNNING, None),
        (TaskResultStatus.FAILED, now - dt.timedelta(hours=2)),
        (TaskResultStatus.FAILED, now - dt.timedelta(days=9)),  # outside the window
    ):
        DBTaskResult.objects.create(
            status=status,
            args_kwargs={"args": [], "kwargs": {}},
            task_path="shopwatch.policing.tasks.send_due_handoffs",
            backend_name="default",
            run_after=now,
            finished_at=finished,
        )
    incident = world.report("reporter", "nw-brighton", report_to_police=True)
    Delivery.objects.create(
        incident=incident,
        force=world.orgs["sussex"],
        payload_version="1",
        body="{}",
        status=DeliveryStatus.DEAD,
        attempts=12,
        last_attempt_at=now,
        last_error="The force's endpoint answered 503",
        dead_at=now,
    )

    client = _web(world, "admin")
    page = client.get("/health/").content.decode()
    assert "No backup has been made" in page
    assert "<dt>Waiting</dt><dd>2" in page
    assert "<dt>Running</dt><dd>1</dd>" in page
    assert "<dt>Failed in the last 7 days</dt><dd><strong>1</strong>" in page
    assert "send_due_handoffs" in page
    assert "Sussex Police" in page
    assert "The force&#x27;s endpoint answered 503" in page
    assert "Data directory writable" in page
    assert "Problem" not in page

    make_backup(tmp_path / "backup")
    first = client.get("/", follow=True)
    assert first.redirect_chain[-1][0] == "/health/"
    page = first.content.decode()
    assert "Last backup finished" in page
    assert str(tmp_path / "backup") in page
    assert "Overdue" not in page
    # Only for platform admins.
    assert _web(world, "security").get("/health/").status_code == 404
    assert _web(world, "police_sussex").get("/health/").status_code == 404
