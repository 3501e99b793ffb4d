"""``{% load linking %}``: whether the menu shows linking to a viewer."""

from __future__ import annotations

from django import template

from shopwatch.core.entitlements import Viewer
from shopwatch.linking.access import may_link

register = template.Library()


@register.filter
def uses_linking(viewer: Viewer | None) -> bool:
    return viewer is not None and may_link(viewer)
