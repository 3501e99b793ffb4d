"""References as people read them, parsed in one place.

Every record a user is shown by reference can be named by that reference wherever a record is asked for.
Incident references (``SW-75S8-GXH0``) are accepted in any case, with or without their dashes or with spaces
instead, and with the letters Crockford's base 32 leaves out read as the digits they look like (O as 0, I and
L as 1), so a reference read aloud or copied from a printed notice still finds its incident. A plain run of
digits is an internal record number: still accepted where it always was, never asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .ids import parse_id

# Crockford base 32 (as reporting.services.new_reference writes them): no I, L, O or U.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEP = r"[\s\-‐-―_./]*"
_CHUNK = r"[0-9A-Za-z]{4}"
_INCIDENT = re.compile(rf"(?<![0-9A-Za-z])SW{_SEP}({_CHUNK}){_SEP}({_CHUNK})(?![0-9A-Za-z])", re.IGNORECASE)


def _chunk(text: str) -> str | None:
    chunk = text.upper().translate(_LOOKALIKES)
    return chunk if all(c in _CROCKFORD for c in chunk) else None


def incident_references(text: str) -> list[str]:
    """Every incident reference in ``text``, written the canonical way (``SW-75S8-GXH0``), first-seen order,
    each once."""
    found: list[str] = []
    for match in _INCIDENT.finditer(text or ""):
        first, second = _chunk(match.group(1)), _chunk(match.group(2))
        if first and second:
            ref = f"SW-{first}-{second}"
            if ref not in found:
                found.append(ref)
    return found


def incident_reference(text: str) -> str | None:
    """The incident reference ``text`` is (nothing else around it but spaces), canonical; else None."""
    text = (text or "").strip()
    match = _INCIDENT.fullmatch(text)
    if match is None:
        return None
    refs = incident_references(text)
    return refs[0] if refs else None


def crime_reference_key(text: str) -> str:
    """A police crime reference compared without case, spaces, dashes or slashes (``47/2026/0001234``)."""
    return re.sub(r"[\s\-‐-―_./]+", "", text or "").upper()


@dataclass(frozen=True)
class RecordName:
    """What a user typed to name a record: an incident reference, an internal number, or words (a name, a
    store, a crime reference) that a selector searches for."""

    text: str
    incident_reference: str | None
    record_id: int | None

    @property
    def words(self) -> str:
        return self.text


def parse_record_name(text: str) -> RecordName:
    """Read ``text`` once: which reference or number it is, if any."""
    text = " ".join((text or "").replace("\x00", "").split())[:200]
    return RecordName(text=text, incident_reference=incident_reference(text), record_id=parse_id(text))
