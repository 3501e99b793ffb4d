"""Errors that services raise and every interface turns into a specific answer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class ServiceError(Exception):
    """A request the rules refuse. ``errors`` names each bad field."""

    status_code = 422
    title = "The request could not be accepted"

    def __init__(self, errors: list[FieldError] | None = None, *, title: str | None = None) -> None:
        self.errors = errors or []
        if title:
            self.title = title
        super().__init__(self.title + ": " + "; ".join(f"{e.field}: {e.message}" for e in self.errors))


class ValidationFailed(ServiceError):
    status_code = 422
    title = "Some fields are not valid"


class Conflict(ServiceError):
    status_code = 409
    title = "Conflict"


class NotEntitled(ServiceError):
    """Refused for lack of entitlement where a 404 would be wrong (e.g. a store the caller can see)."""

    status_code = 403
    title = "Not allowed"


def clean_text(name: str, value: str, limit: int, errors: list[FieldError], *, required: bool = True) -> str:
    """A form's or service's text input, stripped; appends a specific error for NUL characters, a missing
    required value or one over ``limit`` characters, and returns the cleaned value either way."""
    value = (value or "").strip()
    if "\x00" in value:
        errors.append(FieldError(name, "Must not contain NUL characters."))
    elif required and not value:
        errors.append(FieldError(name, "Required."))
    elif len(value) > limit:
        errors.append(FieldError(name, f"At most {limit:,} characters (this has {len(value):,})."))
    return value
