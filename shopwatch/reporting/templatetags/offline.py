"""``{% load offline %}{% offline_pages viewer %}``: the pages the service worker may keep for this viewer."""

from __future__ import annotations

from django import template

from shopwatch.core.entitlements import Viewer

from ..offline import offline_pages as pages_for

register = template.Library()


@register.simple_tag
def offline_pages(viewer: Viewer | None) -> str:
    return " ".join(pages_for(viewer)) if isinstance(viewer, Viewer) else ""
