"""Small template filters for the account pages."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def duration_words(value: dt.timedelta | None) -> str:
    """'1 hour', '2 hours 30 minutes', '45 minutes': a cool-off period in words."""
    if not isinstance(value, dt.timedelta):
        return ""
    minutes = max(1, round(value.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


@register.filter
def from_now(value: dt.timedelta | None) -> dt.datetime | None:
    """The local time a period from now ends."""
    if not isinstance(value, dt.timedelta):
        return None
    return timezone.localtime(timezone.now() + value)
