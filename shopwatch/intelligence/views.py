"""Partnership intelligence pages: galleries, help-identify, intelligence and grading, warnings and
exclusions, data protection (settings, retention preview, subject access, erasure)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shopwatch.core.entitlements import (
    NOT_FOUND_MESSAGE,
    get_visible,
    may_manage_partnership_record,
    viewer_for,
)
from shopwatch.core.errors import ServiceError
from shopwatch.core.files.thumbnails import placeholder_png
from shopwatch.core.forms import add_service_errors, top_level_field
from shopwatch.core.models import Organisation, Store
from shopwatch.core.pickers import Pick, PickError, PickOption, pick_error_to_form
from shopwatch.core.references import incident_references
from shopwatch.reporting.models import Incident
from shopwatch.reporting.pickers import person_descriptions, person_resolve
from shopwatch.subjects.models import Person
from shopwatch.subjects.selectors import person_queryset
from shopwatch.subjects.services import (
    person_erase,
    person_photo_add,
    person_photo_thumbnail_ensure,
    person_rectify,
)

from . import pdfs, selectors
from .forms import (
    AppealDecisionForm,
    AppealForm,
    ConfirmIdentificationForm,
    ExclusionForm,
    GalleryAddForm,
    GradeForm,
    HelpIdentifyForm,
    IntelligenceForm,
    ReasonForm,
    RectifyForm,
    SettingsForm,
    WarningForm,
)
from .models import Appeal, ExclusionNotice, IntelligenceReport, SubjectKind
from .services import galleries as galleries_services
from .services.common import settings_for
from .services.exclusions import (
    Service,
    appeal_decide,
    appeal_lodge,
    exclusion_issue,
    exclusion_review_date,
    warning_issue,
)
from .services.graded import identification_confirm, intelligence_grade, intelligence_submit, may_grade
from .services.retention import retention_plan, settings_update


def _person(request: HttpRequest, form: Any, name: str) -> int | None:
    """The id of the person a picker field names (chosen, or typed and resolved through the viewer's
    scope); None when left empty or when it names no one person (the form then says why and offers the
    people who fit)."""
    pick = form.cleaned_data.get(name)
    if not isinstance(pick, Pick) or not pick:
        return None
    try:
        return person_resolve(viewer=viewer_for(request.user), pick=pick).pk
    except PickError as exc:
        pick_error_to_form(form, name, exc)
        return None


def _partnership(slug: str, allowed: QuerySet[Organisation]) -> Organisation:
    org = allowed.filter(slug=slug).first()
    if org is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return org


def _gallery(request: HttpRequest, slug: str) -> Organisation:
    return _partnership(slug, selectors.gallery_partnerships(viewer=viewer_for(request.user)))


def _managed(request: HttpRequest, slug: str) -> Organisation:
    return _partnership(slug, selectors.managed_partnerships(viewer=viewer_for(request.user)))


# --- Galleries ----------------------------------------------------------------------------------


@login_required
def galleries(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    return render(
        request,
        "intelligence/galleries.html",
        {
            "partnerships": selectors.gallery_partnerships(viewer=viewer),
            "managed": {p.pk for p in selectors.managed_partnerships(viewer=viewer)},
        },
    )


@login_required
def gallery(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = viewer_for(request.user)
    partnership = _gallery(request, slug)
    q = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    with transaction.atomic():
        cards, more = selectors.gallery_cards(viewer=viewer, partnership=partnership, q=q, page=page)
    return render(
        request,
        "intelligence/gallery.html",
        {
            "partnership": partnership,
            "cards": cards,
            "q": q,
            "page": page,
            "more": more,
            "manages": selectors.managed_partnerships(viewer=viewer).filter(pk=partnership.pk).exists(),
            "own": partnership.pk in viewer.partnership_ids,
        },
    )


@login_required
def gallery_print(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = viewer_for(request.user)
    partnership = _gallery(request, slug)
    with transaction.atomic():
        cards, _ = selectors.gallery_cards(viewer=viewer, partnership=partnership, per_page=500)
    who = getattr(request.user, "full_name", "") or str(request.user)
    response = HttpResponse(
        pdfs.gallery_pdf(partnership_name=partnership.name, cards=cards, printed_by=who),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'attachment; filename="gallery-{partnership.slug}.pdf"'
    return response


@login_required
def gallery_add(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = viewer_for(request.user)
    partnership = _managed(request, slug)
    form = GalleryAddForm(request.POST or None, request.FILES or None)
    duplicates: list[PickOption] = []
    if request.method == "POST" and form.is_valid():
        # A copy: adding the service's errors to the form drops those fields from cleaned_data.
        d = dict(form.cleaned_data)
        try:
            with transaction.atomic():
                entry = galleries_services.gallery_add_person(
                    viewer=viewer,
                    partnership=partnership,
                    given_name=d["given_name"],
                    family_name=d["family_name"],
                    date_of_birth=d["date_of_birth"],
                    description=d["description"],
                    reason=d["reason"],
                    advice=d["advice"],
                    id_sought=d["id_sought"],
                    confirm_new=d["confirm_new"],
                )
                if d.get("photo"):
                    person_photo_add(
                        viewer=viewer, person=entry.person, fileobj=d["photo"], filename=d["photo"].name
                    )
        except ServiceError as exc:
            add_service_errors(form, exc.errors, field_for=top_level_field)
            duplicates = person_descriptions(
                viewer=viewer,
                people=galleries_services.possible_duplicates(
                    partnership=partnership,
                    given_name=d["given_name"],
                    family_name=d["family_name"],
                    date_of_birth=d["date_of_birth"],
                ),
            )
        else:
            messages.success(request, f"{entry.person.display_name} is on the gallery.")
            return redirect("intelligence:gallery", slug=slug)
    return render(
        request,
        "intelligence/gallery_add.html",
        {"form": form, "partnership": partnership, "duplicates": duplicates},
    )


@login_required
@require_POST
def person_merge(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = viewer_for(request.user)
    _managed(request, slug)
    qs = person_queryset(viewer)
    try:
        keep = qs.get(pk=int(request.POST.get("keep", "0")))
        remove = qs.get(pk=int(request.POST.get("remove", "0")))
        galleries_services.person_merge(
            viewer=viewer, keep=keep, remove=remove, reason=request.POST.get("reason", "Duplicate")
        )
    except (Person.DoesNotExist, ValueError) as exc:
        raise Http404(NOT_FOUND_MESSAGE) from exc
    except ServiceError as exc:
        for e in exc.errors:
            messages.error(request, e.message)
    else:
        messages.success(request, f"Records merged into {keep.display_name}.")
    return redirect("intelligence:gallery", slug=slug)


@login_required
def gallery_entry(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    with transaction.atomic():
        card = selectors.gallery_entry(viewer=viewer, entry_id=pk)
    form = HelpIdentifyForm(request.POST or None)
    own = card.entry.partnership_id in viewer.partnership_ids
    if request.method == "POST" and own and form.is_valid():
        suggested = _person(request, form, "suggested_person")
    if request.method == "POST" and own and form.is_valid():
        try:
            intelligence_submit(
                viewer=viewer,
                partnership=card.entry.partnership,
                kind=SubjectKind.IDENTIFICATION,
                person_id=card.person.pk,
                suggested_person_id=suggested,
                text=form.cleaned_data["text"],
                source_details=form.cleaned_data["source_details"],
            )
        except ServiceError as exc:
            add_service_errors(form, exc.errors, field_for=top_level_field)
        else:
            messages.success(
                request, "Thank you. A partnership manager or the police will review your suggestion."
            )
            return redirect("intelligence:gallery-entry", pk=pk)
    return render(request, "intelligence/gallery_entry.html", {"card": card, "form": form if own else None})


@login_required
def person_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A person's image in full, through the person's own entitlement, audited as a view of the person."""
    viewer = viewer_for(request.user)
    with transaction.atomic():
        photo = selectors.person_photo_get(viewer=viewer, photo_id=pk, purpose="image")
    response = FileResponse(default_storage.open(photo.file.name, "rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def person_photo_thumbnail(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A person's image as a small JPEG for galleries and lists: the same entitlement and audit as the full
    image; a plain tile where the image cannot be rendered."""
    viewer = viewer_for(request.user)
    with transaction.atomic():
        photo = selectors.person_photo_get(viewer=viewer, photo_id=pk, purpose="thumbnail")
    name = person_photo_thumbnail_ensure(photo=photo)
    response: HttpResponseBase
    if name is None:
        response = HttpResponse(placeholder_png(), content_type="image/png")
    else:
        response = FileResponse(default_storage.open(name, "rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- Intelligence ----------------------------------------------------------------------------------


@login_required
def intelligence_home(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    choices = [
        (p.pk, p.name) for p in Organisation.objects.filter(pk__in=viewer.partnership_ids).order_by("name")
    ]
    form = IntelligenceForm(request.POST or None, partnerships=choices) if choices else None
    if request.method == "POST" and form is not None and form.is_valid():
        person_id = _person(request, form, "person")
    if request.method == "POST" and form is not None and form.is_valid():
        d = form.cleaned_data
        try:
            intelligence_submit(
                viewer=viewer,
                partnership=Organisation.objects.get(pk=d["partnership"]),
                kind=d["kind"],
                text=d["text"],
                source_details=d["source_details"],
                person_id=person_id,
                registration=d["registration"],
                place=d["place"],
            )
        except ServiceError as exc:
            add_service_errors(form, exc.errors, field_for=top_level_field)
        else:
            messages.success(request, "Intelligence submitted for grading.")
            return redirect("intelligence:home")
    return render(
        request,
        "intelligence/intelligence.html",
        {
            "form": form,
            "mine": selectors.my_submissions(viewer=viewer),
            "shared": selectors.intelligence_shared(viewer=viewer),
            "queue_size": len(selectors.grading_queue(viewer=viewer)),
        },
    )


@login_required
def grading(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    return render(
        request,
        "intelligence/grading.html",
        {"items": [selectors.intelligence_view(r, viewer) for r in selectors.grading_queue(viewer=viewer)]},
    )


@login_required
def grade(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    report = (
        IntelligenceReport.objects.select_related("partnership", "person", "suggested_person")
        .filter(pk=pk)
        .first()
    )
    if report is None or not may_grade(viewer, report.partnership):
        raise Http404(NOT_FOUND_MESSAGE)
    confirming = request.POST.get("form") == "confirm"
    form = GradeForm(request.POST if request.method == "POST" and not confirming else None)
    confirm_form = None
    if report.kind == SubjectKind.IDENTIFICATION and report.confirmed_at is None:
        suggested = report.suggested_person
        confirm_form = ConfirmIdentificationForm(
            request.POST if confirming else None,
            initial={"suggested_person": Pick(suggested.display_name, suggested.pk)} if suggested else None,
        )
    if confirming and confirm_form is not None and confirm_form.is_valid():
        named = _person(request, confirm_form, "suggested_person")
    if confirming and confirm_form is not None and confirm_form.is_valid():
        try:
            identification_confirm(
                viewer=viewer,
                report=report,
                person_id=named,
                reason=confirm_form.cleaned_data["confirmation_reason"],
            )
        except ServiceError as exc:
            add_service_errors(confirm_form, exc.errors, field_for=top_level_field)
        else:
            messages.success(
                request,
                f"Confirmed as {report.suggested_person}: a link of the two records is proposed for an "
                "investigator or analyst to review.",
            )
            return redirect("intelligence:grade", pk=report.pk)
    if request.method == "POST" and not confirming and form.is_valid():
        try:
            intelligence_grade(viewer=viewer, report=report, **form.cleaned_data)
        except ServiceError as exc:
            add_service_errors(form, exc.errors, field_for=top_level_field)
        else:
            messages.success(request, f"Graded {report.grading}.")
            return redirect("intelligence:grading")
    return render(
        request,
        "intelligence/grade.html",
        {"item": selectors.intelligence_view(report, viewer), "form": form, "confirm_form": confirm_form},
        status=422 if (form.errors or (confirm_form is not None and confirm_form.errors)) else 200,
    )


# --- Warnings and exclusions --------------------------------------------------------------------------


def _refs(text: str) -> list[int]:
    """The incidents the references in ``text`` name (any case, dashes optional); -1 for each that names
    none, so the service reports it."""
    refs = incident_references(text)
    return list(Incident.objects.filter(reference__in=refs).values_list("pk", flat=True)) + (
        [-1] * (len(set(refs)) - Incident.objects.filter(reference__in=refs).count())
    )


def _service(d: dict[str, Any]) -> Service:
    return Service(how=d["served_how"], at=d["served_at"], by=d["served_by"])


@login_required
def exclusions(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = viewer_for(request.user)
    partnership = _managed(request, slug)
    stores = [(s.pk, s.name) for s in Store.objects.filter(partnerships=partnership).order_by("name")]
    warning_form = WarningForm(request.POST if request.POST.get("form") == "warning" else None, prefix="w")
    exclusion_form = ExclusionForm(
        request.POST if request.POST.get("form") == "exclusion" else None,
        prefix="x",
        stores=stores,
        initial={"all_premises": True},
    )
    if request.method == "POST" and request.POST.get("form") == "warning" and warning_form.is_valid():
        warned = _person(request, warning_form, "person")
    if request.method == "POST" and request.POST.get("form") == "warning" and warning_form.is_valid():
        d = warning_form.cleaned_data
        assert warned is not None
        try:
            letter = warning_issue(
                viewer=viewer,
                partnership=partnership,
                person_id=warned,
                reason=d["reason"],
                incident_ids=_refs(d["incidents"]),
                service=_service(d),
            )
        except ServiceError as exc:
            add_service_errors(warning_form, exc.errors, field_for=top_level_field)
        else:
            messages.success(request, "Warning letter issued.")
            return redirect("intelligence:warning-pdf", pk=letter.pk)
    if request.method == "POST" and request.POST.get("form") == "exclusion" and exclusion_form.is_valid():
        excluded = _person(request, exclusion_form, "person")
    if request.method == "POST" and request.POST.get("form") == "exclusion" and exclusion_form.is_valid():
        d = exclusion_form.cleaned_data
        assert excluded is not None
        try:
            notice = exclusion_issue(
                viewer=viewer,
                partnership=partnership,
                person_id=excluded,
                all_premises=d["all_premises"],
                store_ids=[int(s) for s in d["stores"]],
                starts_on=d["starts_on"],
                ends_on=d["ends_on"],
                conditions=d["conditions"],
                service=_service(d),
                evidence_ids=_refs(d["incidents"]),
            )
        except ServiceError as exc:
            add_service_errors(exclusion_form, exc.errors, field_for=top_level_field)
        else:
            messages.success(request, "Exclusion notice issued.")
            return redirect("intelligence:exclusion", pk=notice.pk)
    notices = selectors.exclusion_notices(viewer=viewer, partnership=partnership)
    letters = selectors.warning_letters(viewer=viewer, partnership=partnership)
    return render(
        request,
        "intelligence/exclusions.html",
        {
            "partnership": partnership,
            "notices": notices[:100],
            "letters": letters[:100],
            "warning_form": warning_form,
            "exclusion_form": exclusion_form,
        },
    )


def _notice(request: HttpRequest, pk: int) -> ExclusionNotice:
    return selectors.exclusion_notice_get(viewer=viewer_for(request.user), notice_id=pk)


@login_required
def exclusion(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    notice = _notice(request, pk)
    appeal_form = AppealForm(request.POST if request.POST.get("form") == "appeal" else None)
    decision_form = AppealDecisionForm(request.POST if request.POST.get("form") == "decide" else None)
    if request.method == "POST":
        try:
            if request.POST.get("form") == "appeal" and appeal_form.is_valid():
                appeal_lodge(viewer=viewer, notice=notice, grounds=appeal_form.cleaned_data["grounds"])
                messages.success(request, "Appeal recorded.")
                return redirect("intelligence:exclusion", pk=pk)
            if request.POST.get("form") == "decide" and decision_form.is_valid():
                appeal = Appeal.objects.get(pk=int(request.POST.get("appeal", "0")), exclusion=notice)
                d = decision_form.cleaned_data
                appeal_decide(
                    viewer=viewer,
                    appeal=appeal,
                    decision=d["decision"],
                    reason=d["decision_reason"],
                    new_ends_on=d["new_ends_on"],
                )
                messages.success(request, "Decision recorded.")
                return redirect("intelligence:exclusion", pk=pk)
        except (Appeal.DoesNotExist, ValueError) as exc:
            raise Http404(NOT_FOUND_MESSAGE) from exc
        except ServiceError as exc:
            failed = appeal_form if request.POST.get("form") == "appeal" else decision_form
            add_service_errors(failed, exc.errors, field_for=top_level_field)
    return render(
        request,
        "intelligence/exclusion.html",
        {
            "notice": notice,
            "review_on": exclusion_review_date(notice),
            "appeals": notice.appeals.order_by("lodged_at"),
            "breaches": notice.breaches.select_related("incident__store"),
            "appeal_form": appeal_form,
            "decision_form": decision_form,
        },
    )


@login_required
def exclusion_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    pdf = pdfs.exclusion_notice_print(viewer=viewer_for(request.user), notice_id=pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="exclusion-{pk}.pdf"'
    return response


@login_required
def warning_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    pdf = pdfs.warning_letter_print(viewer=viewer_for(request.user), letter_id=pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="warning-{pk}.pdf"'
    return response


# --- Data protection ------------------------------------------------------------------------------------


@login_required
def data_protection(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = viewer_for(request.user)
    partnership = _managed(request, slug)
    conf = settings_for(partnership)
    form = SettingsForm(
        request.POST or None,
        initial={
            "gallery_months": conf.gallery_months,
            "delete_after_months": conf.delete_after_months,
            "network_sharing": conf.network_sharing,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            settings_update(viewer=viewer, partnership=partnership, **form.cleaned_data)
        except ServiceError as exc:
            add_service_errors(form, exc.errors, field_for=top_level_field)
        else:
            messages.success(request, "Data-protection settings saved.")
            return redirect("intelligence:data-protection", slug=slug)
    return render(
        request,
        "intelligence/data_protection.html",
        {
            "partnership": partnership,
            "form": form,
            "plan": retention_plan(partnership=partnership),
            "people": Person.objects.filter(partnership=partnership).order_by("family_name", "given_name")[
                :500
            ],
        },
    )


@login_required
def subject_access(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    person = get_visible(Person.objects.all(), viewer, pk=pk)
    try:
        with transaction.atomic():
            archive = selectors.subject_access_archive(viewer=viewer, person=person)
    except ServiceError as exc:
        raise Http404(NOT_FOUND_MESSAGE) from exc
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="subject-access-{pk}.zip"'
    return response


@login_required
@require_POST
def erase(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    person = get_visible(Person.objects.all(), viewer, pk=pk)
    form = ReasonForm(request.POST)
    slug = person.partnership.slug if person.partnership else ""
    if not form.is_valid():
        messages.error(request, "Say why the record is erased.")
    else:
        try:
            person_erase(viewer=viewer, person=person, reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            for e in exc.errors:
                messages.error(request, e.message)
        else:
            messages.success(request, "The record was erased; a tombstone records when and why.")
    return redirect("intelligence:data-protection", slug=slug) if slug else redirect("intelligence:galleries")


@login_required
def rectify(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a person's record (right to rectification): each change is logged with its reason."""
    viewer = viewer_for(request.user)
    person = get_visible(Person.objects.select_related("partnership"), viewer, pk=pk)
    if not may_manage_partnership_record(viewer, person.partnership_id):
        raise Http404(NOT_FOUND_MESSAGE)
    fields = ("given_name", "family_name", "date_of_birth", "description")
    form = RectifyForm(request.POST or None, initial={f: getattr(person, f) for f in fields})
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in fields if form.cleaned_data[f] != getattr(person, f)}
        try:
            person_rectify(viewer=viewer, person=person, changes=changes, reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            add_service_errors(form, exc.errors, field_for=top_level_field)
        else:
            messages.success(
                request, f"Record corrected ({len(changes)} field{'s' if len(changes) != 1 else ''})."
            )
            slug = person.partnership.slug if person.partnership else ""
            return (
                redirect("intelligence:data-protection", slug=slug)
                if slug
                else redirect("intelligence:galleries")
            )
    return render(
        request,
        "intelligence/rectify.html",
        {"person": person, "form": form, "history": person.rectifications.order_by("-at")[:50]},
    )
