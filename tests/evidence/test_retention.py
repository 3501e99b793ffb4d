"""Retention by category per partnership: longest period wins, previewable, deletion leaves a tombstone."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from shopwatch.core.errors import NotEntitled, ValidationFailed
from shopwatch.evidence.models import CustodyAction, CustodyEntry, EvidenceFile
from shopwatch.evidence.retention import retention_apply, retention_policy_set, retention_preview
from shopwatch.evidence.selectors import Gone, evidence_get
from shopwatch.evidence.services import evidence_add
from tests.evidence.images import jpeg_bytes
from tests.world import World


def old_photo(world: World, days_ago: int, color: tuple[int, int, int] = (1, 2, 3)) -> EvidenceFile:
    when = timezone.now() - dt.timedelta(days=days_ago)
    incident = world.report("reporter", "nw-brighton", occurred_at=when)
    evidence = evidence_add(
        viewer=world.viewer("reporter"),
        incident=incident,
        fileobj=io.BytesIO(jpeg_bytes(color)),
        filename="old.jpg",
    )
    EvidenceFile.objects.filter(pk=evidence.pk).update(created_at=when)
    evidence.refresh_from_db()
    return evidence


def test_only_the_partnerships_managers_set_its_periods(world: World) -> None:
    with pytest.raises(NotEntitled):
        retention_policy_set(
            viewer=world.viewer("security"), partnership="brighton-bcrp", category="no_crime", days=90
        )
    with pytest.raises(ValidationFailed) as caught:
        retention_policy_set(
            viewer=world.viewer("partnership_manager"),
            partnership="brighton-bcrp",
            category="sometimes",
            days=0,
        )
    assert {e.field for e in caught.value.errors} == {"category", "days"}


def test_the_longest_applicable_period_wins(world: World) -> None:
    store = world.stores["nw-brighton"]
    store.partnerships.add(world.orgs["crawley-bcrp"])  # the store belongs to two partnerships
    retention_policy_set(
        viewer=world.viewer("partnership_manager"), partnership="brighton-bcrp", category="no_crime", days=30
    )
    retention_policy_set(
        viewer=world.viewer("connected_partnership_manager"),
        partnership="crawley-bcrp",
        category="no_crime",
        days=200,
    )
    evidence = old_photo(world, 100)
    assert retention_preview(viewer=world.viewer("partnership_manager"), partnership="brighton-bcrp") == []
    later = timezone.now() + dt.timedelta(days=101)
    due = retention_preview(viewer=world.viewer("partnership_manager"), partnership="brighton-bcrp", at=later)
    assert [d.evidence.pk for d in due] == [evidence.pk]
    assert due[0].days == 200


def test_deletion_is_previewed_then_leaves_a_tombstone_in_custody(world: World) -> None:
    retention_policy_set(
        viewer=world.viewer("partnership_manager"), partnership="brighton-bcrp", category="no_crime", days=30
    )
    old = old_photo(world, 40)
    recent = old_photo(world, 5, (9, 9, 9))
    viewer = world.viewer("partnership_manager")
    preview = retention_preview(viewer=viewer, partnership="brighton-bcrp")
    assert [d.evidence.pk for d in preview] == [old.pk]
    assert default_storage.exists(old.file.name)  # previewing deletes nothing

    applied = retention_apply(viewer=viewer, partnership="brighton-bcrp")
    assert [d.evidence.pk for d in applied] == [old.pk]
    old.refresh_from_db()
    assert old.deleted_at is not None
    assert old.sha256  # the record stays
    assert old.original_filename == "old.jpg"
    actions = list(CustodyEntry.objects.filter(evidence=old).order_by("seq").values_list("action", flat=True))
    assert actions[-2:] == [CustodyAction.RETENTION, CustodyAction.DELETED]
    recent.refresh_from_db()
    assert recent.deleted_at is None
    with pytest.raises(Gone):
        evidence_get(viewer=world.viewer("manager"), evidence_id=old.pk)
    out = io.StringIO()
    call_command("evidence_verify", stdout=out)  # the chain is intact; tombstones are not re-hashed
    assert "OK" in out.getvalue()


def test_the_bytes_go_once_the_deletion_commits(
    world: World, django_capture_on_commit_callbacks: object
) -> None:
    retention_policy_set(
        viewer=world.viewer("partnership_manager"), partnership="brighton-bcrp", category="no_crime", days=30
    )
    old = old_photo(world, 40)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        retention_apply(viewer=world.viewer("partnership_manager"), partnership="brighton-bcrp")
    assert not default_storage.exists(old.file.name)


def test_nothing_is_deleted_without_a_policy(world: World) -> None:
    old_photo(world, 4000)
    assert retention_preview(viewer=world.viewer("partnership_manager"), partnership="brighton-bcrp") == []


def test_the_retention_api_for_partnership_managers(world: World) -> None:
    import json

    from django.test import Client

    from shopwatch.core.apikeys import apikey_create
    from shopwatch.core.models import User

    def call(name: str, method: str, path: str, body: object = None) -> Any:
        user = User.objects.get(pk=world.users[name].pk)
        secret = apikey_create(viewer=world.viewer(name), user=user, name="t").secret
        kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {secret}"}}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(Client(), method)(path, **kwargs)

    old = old_photo(world, 40)
    path = "/api/v1/partnerships/brighton-bcrp/evidence-retention"
    assert call("security", "put", path, {"category": "no_crime", "days": 30}).status_code == 403
    bad = call("partnership_manager", "put", path, {"category": "whenever", "days": 30})
    assert bad.status_code == 422
    assert call("partnership_manager", "put", path, {"category": "no_crime", "days": 30}).status_code == 200
    due = call("partnership_manager", "get", path + "/due")
    assert due.status_code == 200
    assert [i["evidence"] for i in due.json()["items"]] == [old.pk]
    assert due.json()["items"][0]["days"] == 30


def test_nothing_is_deleted_while_police_have_the_case_open(world: World) -> None:
    from shopwatch.policing.models import CrimeRecord

    retention_policy_set(
        viewer=world.viewer("partnership_manager"),
        partnership="brighton-bcrp",
        category="crime_recorded",
        days=30,
    )
    evidence = old_photo(world, 400)
    record = CrimeRecord.objects.create(
        incident=evidence.incident,
        force=world.orgs["sussex"],
        crime_reference="47/1234/26",
        status="under_investigation",
    )
    assert retention_preview(viewer=world.viewer("partnership_manager"), partnership="brighton-bcrp") == []
    CrimeRecord.objects.filter(pk=record.pk).update(
        status="closed", outcome="18", outcome_at=timezone.now() - dt.timedelta(days=31)
    )
    due = retention_preview(viewer=world.viewer("partnership_manager"), partnership="brighton-bcrp")
    assert [(d.evidence.pk, d.category) for d in due] == [(evidence.pk, "crime_recorded")]


def test_the_scheduled_task_and_command_apply_retention(world: World) -> None:
    from shopwatch.evidence.tasks import apply_evidence_retention

    retention_policy_set(
        viewer=world.viewer("partnership_manager"), partnership="brighton-bcrp", category="no_crime", days=30
    )
    first = old_photo(world, 40)
    out = io.StringIO()
    call_command("evidence_retention", "--partnership", "brighton-bcrp", stdout=out)
    assert f"DUE evidence {first.pk}" in out.getvalue()
    first.refresh_from_db()
    assert first.deleted_at is None  # the preview deletes nothing
    result = apply_evidence_retention.enqueue()
    assert result.return_value == {"brighton-bcrp": 1, "crawley-bcrp": 0, "oxford-bcrp": 0}
    first.refresh_from_db()
    assert first.deleted_at is not None
    last = CustodyEntry.objects.filter(evidence=first).order_by("-seq").first()
    assert last is not None
    assert last.actor_label == "ShopWatch (system)"
