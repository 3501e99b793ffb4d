"""Checking the locker: every stored original against its SHA-256, every custody chain for breaks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.files.storage import default_storage

from .custody import chain_problems
from .models import CustodyEntry, EvidenceFile

PIECE = 1024 * 1024


@dataclass(frozen=True)
class Problem:
    evidence_id: int
    message: str

    def __str__(self) -> str:
        return f"evidence {self.evidence_id}: {self.message}"


@dataclass(frozen=True)
class VerifyReport:
    files_checked: int
    bytes_hashed: int
    entries_checked: int
    problems: list[Problem]


def evidence_verify(*, evidence_ids: list[int] | None = None) -> VerifyReport:
    """Re-hash each stored original (streaming, 1 MiB at a time) and check each custody chain."""
    problems: list[Problem] = []
    files = 0
    hashed = 0
    entries_checked = 0
    qs = EvidenceFile.objects.order_by("pk")
    if evidence_ids:
        qs = qs.filter(pk__in=evidence_ids)
    for evidence in qs.iterator(chunk_size=200):
        entries = list(CustodyEntry.objects.filter(evidence_id=evidence.pk).order_by("seq"))
        entries_checked += len(entries)
        problems.extend(Problem(evidence.pk, m) for m in chain_problems(evidence, entries))
        if evidence.deleted_at is not None:
            continue  # a tombstone: the bytes were deleted under retention, the chain stays
        files += 1
        digest = hashlib.sha256()
        size = 0
        try:
            with default_storage.open(evidence.file.name, "rb") as f:
                while block := f.read(PIECE):
                    digest.update(block)
                    size += len(block)
        except (FileNotFoundError, OSError) as exc:
            problems.append(
                Problem(evidence.pk, f"the stored file {evidence.file.name} cannot be read ({exc})")
            )
            continue
        hashed += size
        if size != evidence.size:
            problems.append(
                Problem(evidence.pk, f"the stored file is {size:,} bytes, not the {evidence.size:,} received")
            )
        if digest.hexdigest() != evidence.sha256:
            problems.append(
                Problem(
                    evidence.pk,
                    f"the stored file's SHA-256 is {digest.hexdigest()}, not "
                    f"{evidence.sha256} as received: the file was altered",
                )
            )
    return VerifyReport(
        files_checked=files, bytes_hashed=hashed, entries_checked=entries_checked, problems=problems
    )
