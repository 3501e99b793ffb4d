"""The chain of custody: every action on an evidence file, append-only, each entry chained by SHA-256.

An entry's hash is the SHA-256 of its canonical content: a JSON object with sorted keys and no spaces
holding the file's id, the entry's number in the file's chain, the action, when (UTC, microseconds), who
(user id, API key id, channel and a label), the detail, and the previous entry's hash (64 zeros for the
first). Editing any entry changes its hash and breaks the link from the next one; removing or inserting
one breaks the numbering and the links; the file's row keeps the number and hash of the last entry, so
cutting entries off the end shows too. ``custody_verify`` checks all of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from shopwatch.core.entitlements import Viewer
from shopwatch.core.models import User

from .models import CustodyAction, CustodyEntry, EvidenceFile

GENESIS = "0" * 64


def canonical(
    *,
    evidence_id: int,
    seq: int,
    action: str,
    at: dt.datetime,
    actor_id: int | None,
    actor_label: str,
    api_key_id: int | None,
    channel: str,
    detail: dict[str, Any],
    prev_hash: str,
) -> bytes:
    body = {
        "evidence": evidence_id,
        "seq": seq,
        "action": action,
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": actor_id,
        "actor_label": actor_label,
        "api_key": api_key_id,
        "channel": channel,
        "detail": detail,
        "prev": prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash_of(entry: CustodyEntry) -> str:
    return hashlib.sha256(
        canonical(
            evidence_id=entry.evidence_id,
            seq=entry.seq,
            action=entry.action,
            at=entry.at,
            actor_id=entry.actor_id,
            actor_label=entry.actor_label,
            api_key_id=entry.api_key_id,
            channel=entry.channel,
            detail=entry.detail,
            prev_hash=entry.prev_hash,
        )
    ).hexdigest()


def _label(viewer: Viewer, label: str) -> str:
    if label:
        return label[:200]
    if viewer.user_id is None:
        return "ShopWatch (system)"
    user = User.objects.filter(pk=viewer.user_id).values_list("email", "full_name").first()
    if user is None:
        return f"user {viewer.user_id}"
    email, name = user
    return f"{name} <{email}>"[:200] if name else str(email)[:200]


def _plain(detail: dict[str, Any] | None) -> dict[str, Any]:
    """The detail as JSON gives it back (so the hash computed now is the hash recomputed later)."""
    return dict(json.loads(json.dumps(detail or {}, default=str)))


def custody_append(
    *,
    evidence: EvidenceFile,
    action: CustodyAction | str,
    viewer: Viewer,
    detail: dict[str, Any] | None = None,
    actor_label: str = "",
) -> CustodyEntry:
    """Add an entry to a file's chain. Appends to one file's chain are serialised by locking its row."""
    with transaction.atomic():
        head = (
            EvidenceFile.objects.select_for_update()
            .only("pk", "custody_seq", "custody_head")
            .get(pk=evidence.pk)
        )
        entry = CustodyEntry(
            evidence_id=evidence.pk,
            seq=head.custody_seq + 1,
            action=str(action),
            at=timezone.now(),
            actor_id=viewer.user_id,
            actor_label=_label(viewer, actor_label),
            api_key_id=viewer.api_key_id,
            channel=str(viewer.channel),
            detail=_plain(detail),
            prev_hash=head.custody_head or GENESIS,
        )
        entry.entry_hash = entry_hash_of(entry)
        entry.save()
        EvidenceFile.objects.filter(pk=evidence.pk).update(
            custody_seq=entry.seq, custody_head=entry.entry_hash
        )
        evidence.custody_seq = entry.seq
        evidence.custody_head = entry.entry_hash
    return entry


def chain_problems(evidence: EvidenceFile, entries: Iterable[CustodyEntry]) -> list[str]:
    """What is wrong with one file's chain, in words; empty when it is intact."""
    problems: list[str] = []
    prev = GENESIS
    expected = 1
    last: CustodyEntry | None = None
    for entry in entries:
        if entry.seq != expected:
            problems.append(
                f"custody entry {expected} is missing (the chain goes from {expected - 1} to {entry.seq})"
                if entry.seq > expected
                else f"custody entry {entry.seq} is out of order"
            )
            expected = entry.seq
        recomputed = entry_hash_of(entry)
        if recomputed != entry.entry_hash:
            problems.append(
                f"custody entry {entry.seq} ({entry.action}) was altered: its content does not match its hash"
            )
        if entry.prev_hash != prev:
            problems.append(
                f"custody entry {entry.seq} does not follow entry {entry.seq - 1}: the link is broken"
            )
        prev = entry.entry_hash
        expected += 1
        last = entry
    count = last.seq if last else 0
    if count != evidence.custody_seq or (last.entry_hash if last else "") != (evidence.custody_head or ""):
        if count < evidence.custody_seq:
            problems.append(
                f"custody entries after {count} are missing (the file's chain has {evidence.custody_seq})"
            )
        else:
            problems.append("the last custody entry does not match the one recorded on the file")
    if evidence.custody_seq == 0 and last is None:
        problems.append("there is no custody entry for this file (not even its receipt)")
    return problems
