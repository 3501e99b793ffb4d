"""``{% load faces %}``: whether the menu shows face search to a viewer."""

from __future__ import annotations

from django import template

from shopwatch.core.entitlements import Viewer
from shopwatch.faces.rules import may_search

register = template.Library()


@register.filter
def uses_faces(viewer: Viewer | None) -> bool:
    return viewer is not None and may_search(viewer)
