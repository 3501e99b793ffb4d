"""``{% load alerts_banner %}{% alerts_banner %}``: the alert banner at the top of every signed-in page.

It lists the viewer's current alerts (raised before the page opened and not yet acknowledged) and holds the
live region that alerts arriving over the stream join; the stream is opened only for viewers who receive
alerts.
"""

from __future__ import annotations

from typing import Any

from django import template

from shopwatch.core.entitlements import Viewer

from ..selectors import banner_alerts, receives_alerts

register = template.Library()


@register.inclusion_tag("alerts/includes/banner.html", takes_context=True)
def alerts_banner(context: template.Context) -> dict[str, Any]:
    viewer = context.get("viewer")
    if not isinstance(viewer, Viewer) or not context.get("shell_ready"):
        return {"show": False}
    receives = receives_alerts(viewer)
    return {"show": receives, "alerts": banner_alerts(viewer=viewer) if receives else []}
