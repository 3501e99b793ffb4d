"""The police side of the demo, made through the policing services after the incidents exist: the Sussex team
holds cases (so the supervisor's first page shows who holds what), the demo store has a CCTV request waiting
for it, and that store shares contact details with the force for victim contact."""

from __future__ import annotations

from shopwatch.core.entitlements import viewer_for
from shopwatch.policing.selectors.queue import queue_queryset
from shopwatch.policing.services.store_side import store_contact_set
from shopwatch.policing.services.triage import (
    Decision,
    triage_assign,
    triage_decide,
    triage_request_cctv,
    triage_take,
)

from .world import DemoWorld, demo_email

DEMO_STORE = "nw-brighton-churchill"
CASES_EACH = 3


def seed_police_work(w: DemoWorld) -> dict[str, int]:
    investigator = w.users[demo_email("investigator")]
    supervisor = w.users[demo_email("supervisor")]
    manager = w.users[demo_email("manager")]
    store = w.stores[DEMO_STORE]
    officer, lead = viewer_for(investigator), viewer_for(supervisor)

    # Numbers from Ofcom's ranges kept for drama, so no real phone rings.
    store_contact_set(
        viewer=viewer_for(manager),
        store=store,
        phone="01632 960418",
        contact_name=manager.full_name,
        contact_role="Store manager",
        contact_phone="07700 900418",
        opening_hours="Mon to Sat 7:00 to 22:00, Sun 10:00 to 16:00",
    )
    # The newest open incident at the demo store: the investigator takes it and asks the store for CCTV.
    queue = queue_queryset(lead).filter(triage__isnull=True).order_by("-sent_at", "-pk")
    at_store = queue.filter(store=store).first()
    held = 0
    if at_store is not None:
        triage_take(viewer=officer, incident=at_store)
        triage_request_cctv(
            viewer=officer,
            incident=at_store,
            reason="CCTV of the whole incident from the entrance and till cameras, and a clear still of the "
            "suspect's face.",
        )
        held += 1
    # The team's other work: the newest open reports shared between the investigator and the supervisor,
    # one of each accepted and waiting for its crime reference.
    for i, incident in enumerate(queue.exclude(store=store)[: 2 * CASES_EACH]):
        holder = investigator if i % 2 == 0 else supervisor
        triage_assign(viewer=lead, incident=incident, assignee_id=holder.pk)
        if i < 2:
            triage_decide(viewer=viewer_for(holder), incident=incident, decision=Decision.ACCEPT, reason="")
        held += 1
    return {"police_cases": held}
