"""``{% can viewer "action" record as name %}``: ask the capability table whether to show a button.

The service decides; a page only hides what the service would refuse (``shopwatch.core.capabilities``).
"""

from __future__ import annotations

from typing import Any

from django import template

from shopwatch.core.capabilities import can as _can
from shopwatch.core.entitlements import Viewer

register = template.Library()


@register.simple_tag
def can(viewer: Viewer | None, action: str, record: Any = None) -> bool:
    return viewer is not None and _can(viewer, action, record)
