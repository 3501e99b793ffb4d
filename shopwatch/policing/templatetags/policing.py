"""``{% police_feedback incident %}``: the police panel on the store's incident page."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import Http404

from shopwatch.core.entitlements import viewer_for

from ..selectors.feedback import police_feedback as feedback_for

register = template.Library()


@register.inclusion_tag("policing/_incident_feedback.html", takes_context=True)
def police_feedback(context: dict[str, Any], incident: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"feedback": None}
    try:
        return {"feedback": feedback_for(viewer=viewer_for(user), incident_id=incident.pk)}
    except Http404:  # the page itself decides who may see the incident; the panel just stays empty
        return {"feedback": None}
