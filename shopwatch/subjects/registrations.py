"""UK vehicle registration marks: normalising and checking the shape of what a witness typed."""

from __future__ import annotations

import re

# Current (2001-): AB12 CDE. Prefix (1983-2001): A123 BCD. Suffix (1963-1983): ABC 123D.
# Dateless: 1-3 letters and 1-4 digits either way round. Northern Ireland: ABZ 1234.
_PATTERNS = [
    re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z]{3}$"),
    re.compile(r"^[A-Z][0-9]{1,3}[A-Z]{3}$"),
    re.compile(r"^[A-Z]{3}[0-9]{1,3}[A-Z]$"),
    re.compile(r"^[A-Z]{1,3}[0-9]{1,4}$"),
    re.compile(r"^[0-9]{1,4}[A-Z]{1,3}$"),
    re.compile(r"^[A-Z]{1,3}Z[0-9]{1,4}$"),
]


class RegistrationError(ValueError):
    pass


def normalise_registration(raw: str) -> str:
    """Upper-case and strip spaces and hyphens; raise RegistrationError if it is not a UK mark."""
    reg = re.sub(r"[\s\-]", "", raw or "").upper()
    if not reg:
        raise RegistrationError("Registration is empty.")
    if len(reg) > 8 or not reg.isalnum() or not reg.isascii():
        raise RegistrationError(f"'{raw}' is not a UK registration mark (letters and digits, up to 7).")
    if not any(p.match(reg) for p in _PATTERNS):
        raise RegistrationError(f"'{raw}' does not look like a UK registration mark, such as AB12 CDE.")
    return reg


def format_registration(reg: str) -> str:
    """The usual printed form: a space before the last three characters of a current mark."""
    if re.match(r"^[A-Z]{2}[0-9]{2}[A-Z]{3}$", reg):
        return f"{reg[:4]} {reg[4:]}"
    return reg
