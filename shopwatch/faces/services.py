"""Writes for face search: settings and DPIA, exclusions, searches, reviewers' decisions, stored encodings."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import numpy as np
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from numpy.typing import NDArray

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, can, require
from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, Viewer, can_see
from shopwatch.core.errors import Conflict, FieldError, ValidationFailed, clean_text
from shopwatch.core.models import AuditAction, Organisation, OrganisationKind
from shopwatch.evidence.models import EvidenceFile, EvidencePerson
from shopwatch.evidence.people import evidence_person_add
from shopwatch.evidence.selectors import evidence_get
from shopwatch.subjects.models import Person, PersonPhoto

from . import engine, video
from .models import (
    FaceCandidate,
    FaceDecision,
    FaceEncoding,
    FaceExclusion,
    FaceSearch,
    FaceSettings,
    Outcome,
    SearchStatus,
)
from .rules import enabled_partnership_ids, searches_as_police
from .selectors import gallery_load, search_get

log = logging.getLogger(__name__)

DEFAULT_TOP_K = 5
MAX_TOP_K = 10


def _refuse_unless_may_search(viewer: Viewer) -> None:
    require(viewer, Action.SEARCH_FACES)


# --- Settings and exclusions ------------------------------------------------------------------------


@transaction.atomic
def face_settings_set(
    *,
    viewer: Viewer,
    partnership: Organisation,
    enabled: bool,
    dpia_reference: str,
    dpia_approved_on: dt.date | None,
    second_reviewer_required: bool,
) -> FaceSettings:
    """A partnership records its DPIA and switches face search on or off; only its managers (or admins):
    the capability table's ``manage_partnership``."""
    if partnership.kind != OrganisationKind.PARTNERSHIP:
        raise Http404(NOT_FOUND_MESSAGE)
    require(viewer, Action.MANAGE_PARTNERSHIP, partnership)
    errors: list[FieldError] = []
    reference = clean_text("dpia_reference", dpia_reference, 200, errors, required=False)
    if dpia_approved_on is not None and dpia_approved_on > timezone.localdate():
        errors.append(FieldError("dpia_approved_on", "A DPIA cannot be approved in the future."))
    if enabled and not (reference and dpia_approved_on):
        errors.append(
            FieldError("enabled", "Record the DPIA (reference and approval date) before switching on.")
        )
    if errors:
        raise ValidationFailed(errors)
    row, _ = FaceSettings.objects.select_for_update().get_or_create(partnership=partnership)
    before = {"enabled": row.enabled, "dpia": row.dpia_reference, "second": row.second_reviewer_required}
    row.enabled = enabled
    if (reference, dpia_approved_on) != (row.dpia_reference, row.dpia_approved_on):
        row.dpia_reference = reference
        row.dpia_approved_on = dpia_approved_on
        row.dpia_recorded_by_id = viewer.user_id
    row.second_reviewer_required = second_reviewer_required
    row.updated_at = timezone.now()
    row.save()
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="face_settings",
        object_id=partnership.pk,
        partnership_id=partnership.pk,
        summary=f"Face search {'on' if enabled else 'off'}; DPIA {reference or 'not recorded'}; "
        f"second reviewer {'required' if second_reviewer_required else 'optional'}",
        detail={"before": before},
    )
    return row


def _may_flag(viewer: Viewer, person: Person) -> bool:
    """A person the viewer sees and may flag (``flag_vulnerable``); anyone else reads it as missing."""
    return can_see(viewer, person) and can(viewer, Action.FLAG_VULNERABLE, person)


@transaction.atomic
def face_exclusion_set(*, viewer: Viewer, person_id: int, note: str) -> FaceExclusion:
    """Flag a person vulnerable: never searchable from now on, and their stored faces are deleted."""
    person = Person.objects.filter(pk=person_id).first()
    if person is None or not _may_flag(viewer, person):
        raise Http404(NOT_FOUND_MESSAGE)
    errors: list[FieldError] = []
    note = clean_text("note", note, 500, errors)
    if errors:
        raise ValidationFailed(errors)
    exclusion, created = FaceExclusion.objects.get_or_create(
        person=person, defaults={"note": note, "recorded_by_id": viewer.user_id}
    )
    if not created:
        raise Conflict([FieldError("person", "Already flagged vulnerable.")])
    deleted, _ = FaceEncoding.objects.filter(person=person).delete()
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="person",
        object_id=person.pk,
        partnership_id=person.partnership_id,
        summary=f"Flagged vulnerable: never searchable by face ({deleted} stored faces deleted)",
    )
    return exclusion


# --- Searching --------------------------------------------------------------------------------------


def _read(name: str) -> bytes:
    with default_storage.open(name, "rb") as fh:
        data: bytes = fh.read()
    return data


def _second_review_required(viewer: Viewer, probe: EvidenceFile) -> bool:
    partnerships = Q(partnership__in=probe.incident.store.partnerships.all())
    if not searches_as_police(viewer):
        partnerships |= Q(partnership_id__in=enabled_partnership_ids(viewer))
    return FaceSettings.objects.filter(partnerships, second_reviewer_required=True).exists()


def _search_organisation(viewer: Viewer, probe: EvidenceFile) -> int | None:
    if searches_as_police(viewer):
        return viewer.force_id or next(iter(sorted(viewer.police_force_ids)), None)
    enabled = enabled_partnership_ids(viewer)
    store_partnerships = set(probe.incident.store.partnerships.values_list("pk", flat=True))
    return next(iter(sorted(enabled & store_partnerships or enabled)), None)


def probe_image(probe: EvidenceFile, frame_at: float | None) -> NDArray[np.uint8]:
    """The still, or the frame of a video at ``frame_at`` seconds, decoded in memory (never stored)."""
    if probe.content_type.startswith("video/"):
        if frame_at is None:
            raise ValidationFailed(
                [FieldError("at", "Give the time in the video to search (seconds or mm:ss).")]
            )
        try:
            with default_storage.open(probe.file.name, "rb") as fh:
                return video.frame_at(fh, frame_at)
        except video.PastTheEnd as exc:
            raise ValidationFailed(
                [
                    FieldError(
                        "at", f"The video is only {exc.duration:.1f} seconds long; pick an earlier time."
                    )
                ]
            ) from exc
        except video.UnreadableVideo as exc:
            raise ValidationFailed([FieldError("evidence", "This video could not be decoded.")]) from exc
    if not probe.content_type.startswith("image/"):
        raise ValidationFailed(
            [FieldError("evidence", "Pick a still image or a video; this file is neither.")]
        )
    try:
        return engine.load_image(_read(probe.file.name))
    except engine.UnreadableImage as exc:
        raise ValidationFailed([FieldError("evidence", "This still could not be read as an image.")]) from exc


def face_search_run(
    *,
    viewer: Viewer,
    evidence_id: int,
    purpose: str,
    top_k: int = DEFAULT_TOP_K,
    frame_at: float | None = None,
) -> FaceSearch:
    """Search the faces in an evidence still against the faces the viewer may search for.

    Every face in the still is encoded in memory and compared; up to ``top_k`` people at or above the
    calibrated threshold become candidates (a person's best face only). No encoding of the still is kept:
    faces without a candidate leave nothing behind, and for those with one only the box is kept. The
    search, its result list (one row per candidate person, so it appears in their subject access) and
    the still's use (its chain of custody) are recorded.

    Two short transactions rather than one: the still's use is recorded first, then detection and
    encoding (about a second of CPU) run holding no write lock, then the search and its audit rows are
    written together.
    """
    _refuse_unless_may_search(viewer)
    assert viewer.user_id is not None  # may_search refuses anonymous viewers
    errors: list[FieldError] = []
    purpose = clean_text("purpose", purpose, 500, errors)
    if not 1 <= top_k <= MAX_TOP_K:
        errors.append(FieldError("top_k", f"Between 1 and {MAX_TOP_K}."))
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        probe = evidence_get(viewer=viewer, evidence_id=evidence_id, purpose="face search")
    if not probe.content_type.startswith("video/"):
        frame_at = None
    faces = engine.faces_in(probe_image(probe, frame_at))
    faces_found = len(faces)
    loaded = gallery_load(viewer, exclude_evidence_id=probe.pk)
    best: dict[int, tuple[float, int, list[int]]] = {}
    for face in faces:
        for hit in loaded.gallery.candidates(face.encoding, top_k * 4):
            person_id = loaded.person_of[hit.key]
            if person_id not in best or hit.similarity > best[person_id][0]:
                best[person_id] = (hit.similarity, hit.key, list(face.box))
    del faces  # the still's encodings go no further than this function
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:top_k]
    with transaction.atomic():
        search = FaceSearch.objects.create(
            searched_by_id=viewer.user_id,
            organisation_id=_search_organisation(viewer, probe),
            probe=probe,
            purpose=purpose,
            frame_at=frame_at,
            faces_found=min(faces_found, 32767),
            gallery_size=len(loaded.gallery),
            method=loaded.gallery.method,
            threshold=engine.MATCH_THRESHOLD,
            top_k=top_k,
            second_review_required=_second_review_required(viewer, probe),
        )
        candidates = [
            FaceCandidate(
                search=search,
                rank=rank,
                person_id=person_id,
                encoding_id=key,
                similarity=round(score, 4),
                probe_box=box,
            )
            for rank, (person_id, (score, key, box)) in enumerate(ranked, start=1)
        ]
        FaceCandidate.objects.bulk_create(candidates)
        audit_record(
            viewer=viewer,
            action=AuditAction.CREATE,
            object_type="face_search",
            object_id=search.pk,
            store_id=probe.incident.store_id,
            summary=f"Face search of evidence {probe.pk}{'' if frame_at is None else f' at {frame_at:g} s'}: "
            f"{len(candidates)} candidates in a gallery of "
            f"{len(loaded.gallery)} at threshold {engine.MATCH_THRESHOLD:.2f}",
            detail={
                "evidence": probe.pk,
                "frame_at": frame_at,
                "purpose": purpose,
                "persons": [c.person_id for c in candidates],
            },
        )
        persons = {p.pk: p for p in Person.objects.filter(pk__in=[c.person_id for c in candidates])}
        for c in candidates:
            audit_record(
                viewer=viewer,
                action=AuditAction.LIST,
                object_type="person",
                object_id=c.person_id,
                partnership_id=persons[c.person_id].partnership_id,
                summary=f"Shown as candidate {c.rank} of face search {search.pk} "
                f"(similarity {c.similarity:.2f})",
                detail={"face_search": search.pk},
            )
    return search


# --- Decisions --------------------------------------------------------------------------------------


@transaction.atomic
def face_decision_record(
    *, viewer: Viewer, search_id: int, outcome: str, reason: str, candidate_id: int | None = None
) -> FaceDecision:
    """A named reviewer's decision on a search: match (naming the candidate), no match or inconclusive.

    Reviewers are people who may search and may open the search. Where a second reviewer is required, a
    different person records a second decision before the search is decided. A match proposes, and
    never makes, the link between the still and the person.
    """
    _refuse_unless_may_search(viewer)
    assert viewer.user_id is not None  # may_search refuses anonymous viewers
    search = search_get(viewer=viewer, search_id=search_id, audit=False)
    search = FaceSearch.objects.select_for_update().get(pk=search.pk)
    errors: list[FieldError] = []
    reason = clean_text("reason", reason, 1000, errors)
    if outcome not in Outcome.values:
        errors.append(FieldError("outcome", "One of match, no match or inconclusive."))
    candidate: FaceCandidate | None = None
    if outcome == Outcome.MATCH:
        if candidate_id is not None:
            candidate = search.candidates.filter(pk=candidate_id).select_related("person").first()
        if candidate is None:
            errors.append(FieldError("candidate", "A match names one of this search's candidates."))
    if errors:
        raise ValidationFailed(errors)
    if search.status == SearchStatus.DECIDED:
        raise Conflict([FieldError("search", "This search has been decided.")])
    try:
        with transaction.atomic():
            decision = FaceDecision.objects.create(
                search=search, reviewer_id=viewer.user_id, outcome=outcome, candidate=candidate, reason=reason
            )
    except IntegrityError as exc:
        raise Conflict(
            [
                FieldError(
                    "reviewer", "You have recorded your decision; a second reviewer must be someone else."
                )
            ]
        ) from exc
    first = search.status == SearchStatus.AWAITING_REVIEW
    search.status = (
        SearchStatus.AWAITING_SECOND if first and search.second_review_required else SearchStatus.DECIDED
    )
    search.save(update_fields=["status"])
    label = Outcome(outcome).label
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="face_search",
        object_id=search.pk,
        summary=f"Face search {search.pk}: {label.lower()} ({'first' if first else 'second'} reviewer)",
        detail={"outcome": outcome, "candidate": candidate.pk if candidate else None, "reason": reason},
    )
    for c in search.candidates.select_related("person"):
        said = "a match" if candidate is not None and c.pk == candidate.pk else label.lower()
        audit_record(
            viewer=viewer,
            action=AuditAction.CHANGE,
            object_type="person",
            object_id=c.person_id,
            partnership_id=c.person.partnership_id,
            summary=f"Face search {search.pk}: reviewer decided {said}",
            detail={"face_search": search.pk},
        )
    return decision


def search_outcome(decisions: list[FaceDecision], search: FaceSearch) -> str | None:
    """The outcome once decided: the reviewers' shared decision, or inconclusive where they differ."""
    if search.status != SearchStatus.DECIDED or not decisions:
        return None
    kinds = {(d.outcome, d.candidate_id) for d in decisions}
    return decisions[0].outcome if len(kinds) == 1 else Outcome.INCONCLUSIVE


# --- Stored encodings (background) ------------------------------------------------------------------


def _encode_file(name: str) -> engine.Face | None:
    try:
        return engine.main_face(engine.load_image(_read(name)))
    except (engine.UnreadableImage, OSError) as exc:
        log.info("No face read from %s: %s", name, exc)
        return None


def _store(face: engine.Face | None, **fields: Any) -> None:
    FaceEncoding.objects.create(
        vector=engine.to_bytes(face.encoding) if face else None, box=list(face.box) if face else [], **fields
    )


def face_encodings_refresh(*, limit: int = 200) -> dict[str, int]:
    """Encode gallery photos and evidence stills of known people that arrived since the last run, and
    delete stored faces whose image has gone (evidence deleted under retention, a pairing removed).

    Photos erased with their person go at once (their rows cascade); this catches the rest. Idempotent.
    """
    with transaction.atomic():
        gone, _ = FaceEncoding.objects.filter(evidence__deleted_at__isnull=False).delete()
        paired = EvidencePerson.objects.filter(
            evidence_id=OuterRef("evidence_id"), person_id=OuterRef("person_id")
        )
        unpaired = list(
            FaceEncoding.objects.filter(evidence__isnull=False)
            .annotate(paired=Exists(paired))
            .filter(paired=False)
            .values_list("pk", flat=True)
        )
        gone += FaceEncoding.objects.filter(pk__in=unpaired).delete()[0]
    encoded = 0
    photos = PersonPhoto.objects.filter(person__face_exclusion__isnull=True).exclude(
        pk__in=FaceEncoding.objects.filter(photo__isnull=False).values("photo_id")
    )
    for photo in photos.order_by("pk")[:limit]:
        face = _encode_file(photo.file.name)
        with transaction.atomic():
            if (
                not FaceEncoding.objects.filter(photo=photo).exists()
                and PersonPhoto.objects.filter(pk=photo.pk).exists()
            ):
                _store(face, person_id=photo.person_id, photo=photo)
                encoded += 1
    pairings = (
        EvidencePerson.objects.filter(
            evidence__deleted_at__isnull=True,
            evidence__content_type__startswith="image/",
            person__face_exclusion__isnull=True,
        )
        .annotate(
            done=Exists(
                FaceEncoding.objects.filter(
                    evidence_id=OuterRef("evidence_id"), person_id=OuterRef("person_id")
                )
            )
        )
        .filter(done=False)
        .select_related("evidence")
    )
    for pairing in pairings.order_by("pk")[:limit]:
        face = _encode_file(pairing.evidence.file.name)
        with transaction.atomic():
            if not FaceEncoding.objects.filter(
                evidence_id=pairing.evidence_id, person_id=pairing.person_id
            ).exists():
                _store(face, person_id=pairing.person_id, evidence_id=pairing.evidence_id)
                encoded += 1
    return {"encoded": encoded, "deleted": gone}


# --- A match proposes a link ------------------------------------------------------------------------


@transaction.atomic
def face_match_link(*, viewer: Viewer, search_id: int) -> EvidencePerson:
    """Record that the searched still shows the matched person, when a person chooses to after the reviewers
    decided "match" (never on its own: a search or a decision only proposes it). The evidence app records
    the pairing, its audit row and custody entry; the still then joins the person's stored faces."""
    _refuse_unless_may_search(viewer)
    search = search_get(viewer=viewer, search_id=search_id, audit=False)
    decisions = list(search.decisions.select_related("candidate__person").order_by("decided_at", "pk"))
    if search_outcome(decisions, search) != Outcome.MATCH or decisions[0].candidate is None:
        raise Conflict([FieldError("search", "Only a search decided as a match can be linked.")])
    person = decisions[0].candidate.person
    pairing = evidence_person_add(
        viewer=viewer,
        evidence_id=search.probe_id,
        person_id=person.pk,
        note=f"Face search {search.pk}: reviewers decided a match",
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="face_search",
        object_id=search.pk,
        partnership_id=person.partnership_id,
        summary=f"Face search {search.pk}: the still recorded as showing person #{person.pk}",
    )
    return pairing
