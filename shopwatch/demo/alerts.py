"""Current area alerts in the demo, raised through the alerts service by the people who would raise them: the
demo store's manager and the Brighton partnership's manager. They are on every member's banner until
acknowledged, and on the security manager's estate."""

from __future__ import annotations

from shopwatch.alerts.models import AlertKind
from shopwatch.alerts.services import alert_raise
from shopwatch.core.entitlements import viewer_for

from .world import DemoWorld, demo_email

ALERTS = (
    (
        "manager",
        "nw-brighton-churchill",
        AlertKind.GROUP_MOVING,
        "Two men, one with a large black holdall, left towards Western Road after filling bags with spirits.",
    ),
    (
        "partnership",
        "nw-brighton-london-rd",
        AlertKind.MANUAL,
        "Woman in a grey parka taking razor blades and baby formula in London Road stores this afternoon.",
    ),
)


def seed_alerts(w: DemoWorld) -> int:
    raised = 0
    for local, store, kind, message in ALERTS:
        raiser = w.users.get(demo_email(local))
        at = w.stores.get(store)
        if raiser is None or at is None:
            continue
        alert_raise(viewer=viewer_for(raiser), store_id=at.pk, message=message, kind=kind)
        raised += 1
    return raised
