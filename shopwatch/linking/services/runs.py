"""Linking runs: train on the app's own persons, score, and keep proposals at or above the threshold.

``link_run`` is the full run (``shopwatch link run`` and the nightly job); ``link_score_changed`` scores the
persons created or changed since the last run against everyone (the every-minute job), with the stored model.
Decided proposals are never rewritten: an accepted one stays accepted, a rejected pair is never proposed
again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer
from shopwatch.core.models import AuditAction, Channel
from shopwatch.linking.engine import (
    PROPOSAL_THRESHOLD,
    LinkModel,
    ScoredPair,
    ScoringIndex,
    score_all,
    train_model,
)
from shopwatch.subjects.models import Person

from ..models import LinkProposal, LinkRun, ProposalSource, ProposalStatus, RunKind, StoredModel
from .decisions import identities_rebuild
from .records import linkable_persons, person_records

SYSTEM = Viewer(user_id=None, channel=Channel.SYSTEM)
MIN_RECORDS = 3  # EM needs some records to learn from


@dataclass(frozen=True)
class RunResult:
    kind: str
    persons: int
    pairs: int
    proposals_new: int
    proposals_updated: int
    proposals_withdrawn: int
    model_version: str


def _explanation(pair: ScoredPair) -> list[dict[str, object]]:
    return [
        {"field": f.field, "comparison": f.comparison, "match_weight": round(float(f.match_weight), 4)}
        for f in pair.explanation
    ]


def _pair_key(pair: ScoredPair) -> tuple[int, int] | None:
    a, b = int(pair.record_id_l), int(pair.record_id_r)
    if a == b:
        return None
    return (a, b) if a < b else (b, a)


def proposals_store(
    *, pairs: list[ScoredPair], model_version: str, now: dt.datetime
) -> tuple[int, int, set[tuple[int, int]]]:
    """Upsert the proposals for pairs at or above the threshold. Returns (new, updated, keys seen)."""
    best: dict[tuple[int, int], ScoredPair] = {}
    for pair in pairs:
        key = _pair_key(pair)
        if key is None or pair.match_probability < PROPOSAL_THRESHOLD:
            continue
        if key not in best or pair.match_probability > best[key].match_probability:
            best[key] = pair
    if not best:
        return 0, 0, set()
    ids = {i for key in best for i in key}
    existing = {
        (p.person_a_id, p.person_b_id): p
        for p in LinkProposal.objects.filter(person_a_id__in=ids, person_b_id__in=ids)
    }
    present = set(Person.objects.filter(pk__in=ids).values_list("pk", flat=True))
    new: list[LinkProposal] = []
    changed: list[LinkProposal] = []
    for key, pair in best.items():
        if key[0] not in present or key[1] not in present:
            continue  # erased since it was read
        row = existing.get(key)
        if row is None:
            new.append(
                LinkProposal(
                    person_a_id=key[0],
                    person_b_id=key[1],
                    probability=float(pair.match_probability),
                    match_weight=float(pair.match_weight),
                    explanation=_explanation(pair),
                    model_version=model_version,
                    created_at=now,
                    scored_at=now,
                )
            )
        elif row.status == ProposalStatus.PROPOSED:
            row.probability = float(pair.match_probability)
            row.match_weight = float(pair.match_weight)
            row.explanation = _explanation(pair)
            row.model_version = model_version
            row.scored_at = now
            changed.append(row)
    LinkProposal.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    LinkProposal.objects.bulk_update(
        changed, ["probability", "match_weight", "explanation", "model_version", "scored_at"], batch_size=1000
    )
    return len(new), len(changed), set(best)


def _latest_model() -> tuple[StoredModel, LinkModel] | None:
    stored = StoredModel.objects.order_by("-trained_at", "-id").first()
    if stored is None:
        return None
    return stored, LinkModel.from_json(stored.model_json)


def link_run(*, actor: Viewer = SYSTEM) -> RunResult:
    """Train on every linkable person, score all pairs and keep proposals at or above the threshold.

    Undecided proposals that no longer reach the threshold are withdrawn; decided ones stay as they are.
    Reading, training and scoring happen outside any transaction (on SQLite a transaction holds the write
    lock, and reports must not wait for a model to train); the results are written in one short one.
    """
    now = timezone.now()
    records = person_records()
    if len(records) < MIN_RECORDS:
        return RunResult(RunKind.FULL, len(records), 0, 0, 0, 0, "")
    model = train_model(records)
    pairs = score_all(records, model, min_probability=PROPOSAL_THRESHOLD)
    with transaction.atomic():
        return _full_run_store(actor=actor, model=model, records=len(records), pairs=pairs, now=now)


def _full_run_store(
    *, actor: Viewer, model: LinkModel, records: int, pairs: list[ScoredPair], now: dt.datetime
) -> RunResult:
    StoredModel.objects.create(
        version=model.version, model_json=model.to_json(), trained_on=records, trained_at=now
    )
    new, updated, seen = proposals_store(pairs=pairs, model_version=model.version, now=now)
    stale = [
        p.pk
        # Proposals a person made for a reason of their own stay until someone decides them.
        for p in LinkProposal.objects.filter(
            status=ProposalStatus.PROPOSED, source=ProposalSource.MODEL
        ).only("id", "person_a_id", "person_b_id")
        if (p.person_a_id, p.person_b_id) not in seen
    ]
    withdrawn = 0
    for start in range(0, len(stale), 500):
        withdrawn += LinkProposal.objects.filter(pk__in=stale[start : start + 500]).delete()[0]
    # Records erased since the last run took their links with them: identities follow what is left.
    identities_rebuild()
    LinkRun.objects.create(
        kind=RunKind.FULL,
        model_version=model.version,
        started_at=now,
        finished_at=timezone.now(),
        scored_until=now,
        persons=records,
        pairs=len(pairs),
        proposals_new=new,
        proposals_updated=updated,
    )
    audit_record(
        viewer=actor,
        action=AuditAction.CHANGE,
        object_type="link_run",
        summary=f"Linking run: {records} persons, {new} new proposals, {updated} rescored, "
        f"{withdrawn} withdrawn",
        detail={"model_version": model.version},
    )
    return RunResult(RunKind.FULL, records, len(pairs), new, updated, withdrawn, model.version)


def link_score_changed(*, actor: Viewer = SYSTEM) -> RunResult:
    """Score persons created or changed since the last run against every linkable person.

    With no stored model yet this is a full run. Idempotent: a second call with nothing changed does nothing.
    """
    latest = _latest_model()
    if latest is None:
        return link_run(actor=actor)
    stored, model = latest
    now = timezone.now()
    last = LinkRun.objects.order_by("-scored_until", "-id").values_list("scored_until", flat=True).first()
    changed = Person.objects.filter(linkable_persons())
    if last is not None:
        changed = changed.filter(Q(updated_at__gt=last) | Q(created_at__gt=last))
    changed_ids = set(changed.values_list("pk", flat=True))
    if not changed_ids:
        return RunResult(RunKind.INCREMENTAL, 0, 0, 0, 0, 0, stored.version)
    records = person_records()
    wanted = {str(i) for i in changed_ids}
    fresh = [r for r in records if r.record_id in wanted]
    pairs = ScoringIndex.build(records, model).score(fresh, min_probability=PROPOSAL_THRESHOLD)
    with transaction.atomic():
        return _incremental_store(
            actor=actor, version=stored.version, fresh=len(fresh), changed=changed_ids, pairs=pairs, now=now
        )


def _incremental_store(
    *, actor: Viewer, version: str, fresh: int, changed: set[int], pairs: list[ScoredPair], now: dt.datetime
) -> RunResult:
    new, updated, _seen = proposals_store(pairs=pairs, model_version=version, now=now)
    LinkRun.objects.create(
        kind=RunKind.INCREMENTAL,
        model_version=version,
        started_at=now,
        finished_at=timezone.now(),
        scored_until=now,
        persons=fresh,
        pairs=len(pairs),
        proposals_new=new,
        proposals_updated=updated,
    )
    if new or updated:
        audit_record(
            viewer=actor,
            action=AuditAction.CHANGE,
            object_type="link_run",
            summary=f"Scored {fresh} new or changed persons: {new} new proposals, {updated} rescored",
            detail={"model_version": version, "persons": sorted(changed)[:500]},
        )
    return RunResult(RunKind.INCREMENTAL, fresh, len(pairs), new, updated, 0, version)
