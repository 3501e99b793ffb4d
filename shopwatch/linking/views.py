"""Linking pages: the proposals queue, one proposal with its explanation and decision, a CSV export,
prolific offenders by resolved identity, vehicles, and organised groups with their intelligence package."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shopwatch.core.audit import audit_record
from shopwatch.core.csvexport import csv_writer
from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, Viewer, viewer_for
from shopwatch.core.errors import ServiceError
from shopwatch.core.models import AuditAction
from shopwatch.subjects.models import Vehicle
from shopwatch.subjects.registrations import normalise_registration

from . import network, selectors
from .access import may_decide, may_link
from .charts import network as network_svg
from .charts import sightings_map, waterfall
from .models import ProposalStatus
from .package import group_package
from .services.decisions import proposal_decide

PAGE = 50
OVERVIEW = 10  # rows of each list on the cross-force view


def _viewer(request: HttpRequest) -> Viewer:
    viewer = viewer_for(request.user)
    if not may_link(viewer):
        raise Http404(NOT_FOUND_MESSAGE)
    return viewer


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The analyst's first page: the work across every force they may see. Link proposals awaiting a
    decision (the likeliest first), organised groups by harm, and prolific offenders by resolved identity;
    the listing is audited with the persons shown."""
    viewer = _viewer(request)
    data = network.load([viewer])
    groups = sorted(network.organised_groups(data), key=lambda g: (-g.harm, g.key))
    ranked = network.prolific_offenders(data, limit=OVERVIEW)
    with transaction.atomic():
        waiting = selectors.proposal_queryset(viewer).filter(status=ProposalStatus.PROPOSED).count()
        proposals = selectors.proposal_list(
            viewer=viewer, status=ProposalStatus.PROPOSED, limit=OVERVIEW, order="probability"
        )
        shown = groups[:OVERVIEW]
        _audit(
            viewer,
            AuditAction.LIST,
            "link_overview",
            f"Cross-force view: {len(shown)} groups, {len(ranked)} offenders",
            [p.pk for g in shown for o in g.members for p in o.members]
            + [p.pk for o in ranked for p in o.members],
        )
    forces = sorted(data.forces.values())
    return render(
        request,
        "linking/overview.html",
        {
            "waiting": waiting,
            "proposals": proposals,
            "groups": shown,
            "group_count": len(groups),
            "offenders": ranked,
            "forces": forces,
            "incidents": len(data.incidents),
        },
    )


@login_required
def proposal_queue(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    status = request.GET.get("status", ProposalStatus.PROPOSED)
    if status not in ProposalStatus.values:
        status = ProposalStatus.PROPOSED
    with transaction.atomic():
        rows = selectors.proposal_list(viewer=viewer, status=status, limit=PAGE, order="probability")
        hits = selectors.link_hits(viewer=viewer)
        precision = selectors.decision_precision(viewer=viewer)
    return render(
        request,
        "linking/queue.html",
        {
            "proposals": rows,
            "hits": hits,
            "precision": precision,
            "status": status,
            "statuses": ProposalStatus.choices,
        },
    )


@login_required
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    with transaction.atomic():
        proposal = selectors.proposal_detail(viewer=viewer, proposal_id=pk)
    identities = selectors.identity_of([proposal.person_a_id, proposal.person_b_id])
    chart = waterfall(
        proposal.explanation,
        f"How each field moved the match weight; total {proposal.match_weight:+.2f}, "
        f"probability {proposal.probability:.3f}",
    )
    return render(
        request,
        "linking/proposal.html",
        {
            "proposal": proposal,
            "common": selectors.proposal_common(viewer=viewer, proposal=proposal),
            "chart": chart,
            "identity_a": identities.get(proposal.person_a_id),
            "identity_b": identities.get(proposal.person_b_id),
            "may_decide": may_decide(viewer) and proposal.status != ProposalStatus.REJECTED,
            "errors": {},
        },
    )


@login_required
@require_POST
def proposal_decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "")
    try:
        proposal_decide(viewer=viewer, proposal_id=pk, decision=decision, reason=reason)
    except ServiceError as exc:
        with transaction.atomic():
            proposal = selectors.proposal_detail(viewer=viewer, proposal_id=pk)
        identities = selectors.identity_of([proposal.person_a_id, proposal.person_b_id])
        return render(
            request,
            "linking/proposal.html",
            {
                "proposal": proposal,
                "common": selectors.proposal_common(viewer=viewer, proposal=proposal),
                "chart": waterfall(proposal.explanation, "How each field moved the match weight"),
                "identity_a": identities.get(proposal.person_a_id),
                "identity_b": identities.get(proposal.person_b_id),
                "may_decide": may_decide(viewer) and proposal.status != ProposalStatus.REJECTED,
                "errors": {e.field: e.message for e in exc.errors},
                "reason": reason,
            },
            status=exc.status_code,
        )
    messages.success(request, "Link accepted." if decision == "accept" else "Link rejected.")
    return redirect("linking:proposal", pk=pk)


@login_required
def proposal_export(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    with transaction.atomic():
        rows = selectors.proposal_export_rows(viewer=viewer)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="shopwatch-link-proposals.csv"'
    writer = csv_writer(response)
    writer.writerow(
        [
            "id",
            "person_a",
            "name_a",
            "person_b",
            "name_b",
            "probability",
            "match_weight",
            "status",
            "model_version",
        ]
    )
    for p in rows:
        writer.writerow(
            [
                p.pk,
                p.person_a_id,
                p.person_a.display_name,
                p.person_b_id,
                p.person_b.display_name,
                f"{p.probability:.4f}",
                f"{p.match_weight:.3f}",
                p.status,
                p.model_version,
            ]
        )
    return response


# --- Prolific offenders, vehicles, organised groups ---------------------------------------------------


def _audit(
    viewer: Viewer, action: str, object_type: str, summary: str, persons: list[int], object_id: str = ""
) -> None:
    audit_record(
        viewer=viewer,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary,
        detail={"persons": sorted(persons)},
    )


@login_required
def offenders(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    with transaction.atomic():
        ranked = network.prolific_offenders(network.load([viewer]))
        _audit(
            viewer,
            AuditAction.LIST,
            "prolific_offender",
            f"Ranked {len(ranked)} offenders",
            [p.pk for o in ranked for p in o.members],
        )
    return render(request, "linking/offenders.html", {"offenders": ranked})


@login_required
def vehicle_detail(request: HttpRequest, registration: str) -> HttpResponse:
    viewer = _viewer(request)
    vehicle = Vehicle.objects.filter(registration=normalise_registration(registration)).first()
    sightings = network.vehicle_sightings_all(viewer, vehicle.pk) if vehicle else []
    if vehicle is None or not sightings:
        raise Http404(NOT_FOUND_MESSAGE)
    person_ids = sorted({p for s in sightings for p in s.person_ids})
    people = list(network.persons_for([viewer]).filter(pk__in=person_ids))
    with transaction.atomic():
        _audit(
            viewer,
            AuditAction.VIEW,
            "vehicle",
            f"Vehicle {vehicle.registration}",
            person_ids,
            object_id=str(vehicle.pk),
        )
    chart = sightings_map(
        [(s.latitude, s.longitude, s.store) for s in sightings], f"Where {vehicle.registration} was seen"
    )
    return render(
        request,
        "linking/vehicle.html",
        {
            "vehicle": vehicle,
            "sightings": sightings,
            "people": people,
            "map": chart,
            "forces": sorted({s.force_id for s in sightings}),
        },
    )


@login_required
def groups(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    found = network.organised_groups(network.load([viewer]))
    with transaction.atomic():
        _audit(
            viewer,
            AuditAction.LIST,
            "link_group",
            f"Listed {len(found)} organised groups",
            [p.pk for g in found for o in g.members for p in o.members],
        )
    return render(request, "linking/groups.html", {"groups": found})


@login_required
def group_detail(request: HttpRequest, key: str) -> HttpResponse:
    viewer = _viewer(request)
    group = network.group_find(network.load([viewer]), key)
    if group is None:
        raise Http404(NOT_FOUND_MESSAGE)
    with transaction.atomic():
        _audit(
            viewer,
            AuditAction.VIEW,
            "link_group",
            f"Organised group {key}",
            [p.pk for o in group.members for p in o.members],
            object_id=key,
        )
    nodes, edges = group.picture()
    return render(
        request,
        "linking/group.html",
        {
            "group": group,
            "picture": network_svg(
                nodes, edges, f"Network of group {key}: people, incidents, vehicles and stores"
            ),
            "map": sightings_map(
                [(s.latitude, s.longitude, s.store) for s in group.sightings], f"Where group {key} offended"
            ),
            "receivers": network.receivers(),
        },
    )


@login_required
@require_POST
def group_export(request: HttpRequest, key: str) -> HttpResponse:
    viewer = _viewer(request)
    receiver = next((o for o in network.receivers() if o.slug == request.POST.get("receiver", "")), None)
    if receiver is None:
        messages.error(request, "Choose the force or national unit that receives the package.")
        return redirect("linking:group", key=key)
    with transaction.atomic():
        pack = group_package(
            viewer=viewer,
            group_key=key,
            receiver=receiver,
            exported_by=getattr(request.user, "full_name", "") or str(request.user),
        )
    if pack is None:
        raise Http404(NOT_FOUND_MESSAGE)
    response = HttpResponse(pack.content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{pack.filename}"'
    return response
