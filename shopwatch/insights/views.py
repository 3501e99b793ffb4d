"""Dashboards, exports, problem profiles, surveys and accountability questions."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, viewer_for
from shopwatch.core.errors import ServiceError
from shopwatch.core.models import AuditAction, Store

from . import charts, exports, maps, panels, selectors, services
from .forms import PeriodForm, PreventionForm, QuestionForm, SurveyForm
from .models import AccountabilityQuestion, Answer, QuestionKind, Survey, SurveyInvitation
from .scopes import available_scopes, scope_for


def _apply_errors(form: Any, exc: ServiceError) -> None:
    for e in exc.errors:
        name = e.field.split(".")[0].split("[")[0]
        form.add_error(name if name in form.fields else None, e.message)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    invitations = (
        SurveyInvitation.objects.none()
        if viewer.user_id is None
        else SurveyInvitation.objects.filter(
            user_id=viewer.user_id, answered_at__isnull=True, survey__opened_at__isnull=False
        )
        .select_related("survey")
        .order_by("-sent_at")
    )
    return render(
        request,
        "insights/index.html",
        {
            "scopes": available_scopes(viewer),
            "invitations": [i for i in invitations if i.survey.is_open],
            "runs_surveys": bool(services.survey_owner_orgs(viewer)),
        },
    )


QUICK_PERIODS = [
    ("Last 3 months", 91),
    ("Last 6 months", 182),
    ("Last 12 months", 365),
    ("Last 2 years", 730),
]


def _quick_periods(period: selectors.Period) -> list[dict[str, Any]]:
    """Periods a click away, each ending today and compared with the same length before it."""
    today = timezone.localdate()
    out = []
    for label, days in QUICK_PERIODS:
        start = today - dt.timedelta(days=days - 1)
        out.append(
            {
                "label": label,
                "query": urlencode({"start": start.isoformat(), "end": today.isoformat()}),
                "current": period.start == start and period.end == today,
            }
        )
    return out


def _period(request: HttpRequest) -> tuple[PeriodForm, selectors.Period]:
    form = PeriodForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, selectors.Period(form.cleaned_data["start"], form.cleaned_data["end"])
    return form, selectors.default_period()


@login_required
def dashboard(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    viewer = viewer_for(request.user)
    scope = scope_for(viewer, kind, key)
    form, period = _period(request)
    with transaction.atomic():
        board = selectors.dashboard(viewer=viewer, scope=scope, period=period)
        prevention = panels.prevention_panels(viewer=viewer, scope=scope)
    hotspots = maps.hotspot_map(board, prevention.signage if prevention else None)
    monthly_points = [(m, n) for m, n, _ in board.monthly]
    can_record = kind == "store" and viewer.can_report_for(int(key))
    return render(
        request,
        "insights/dashboard.html",
        {
            "board": board,
            "form": form,
            "query": request.GET.urlencode(),
            "quick_periods": _quick_periods(period),
            "labels": exports.TOTAL_LABELS,
            "days": exports.DAYS,
            "change_incidents": charts.change_text(
                board.changes["incidents"], board.change_bases.get("incidents")
            ),
            "change_violent": charts.change_text(board.changes["violent"], board.change_bases.get("violent")),
            "change_value": charts.change_text(
                board.changes["value_lost"], board.change_bases.get("value_lost")
            ),
            "monthly_chart": charts.column_chart(
                monthly_points, f"Incidents by month, {scope.title}", fmt="%b %y"
            ),
            "weekly_chart": charts.column_chart(board.weekly, f"Incidents by week, {scope.title}", fmt="%b"),
            "type_chart": charts.bar_chart(board.by_type, f"Incidents by type, {scope.title}"),
            "heatmap": charts.heatmap(board.heatmap, "Incidents by hour of day and day of week"),
            "hotspots": hotspots,
            "panels": prevention,
            "navigator_chart": charts.bar_chart(
                prevention.navigator_bars(),
                "Incidents naming people engaged with the Navigator, before and since",
            )
            if prevention and prevention.navigator
            else None,
            "marking_chart": charts.column_chart(
                prevention.deployment_points(), "Forensic-marking deployments by month", fmt="%b %y"
            )
            if prevention
            else None,
            "outcome_chart": charts.bar_chart(
                [(k, selectors.Figure(float(v), f"{v:,}")) for k, v in board.outcome_mix.items()],
                "Police-recorded shoplifting by last outcome",
            ),
            "prevention_form": PreventionForm() if can_record else None,
        },
    )


@login_required
def dashboard_export(request: HttpRequest, kind: str, key: str, fmt: str) -> HttpResponse:
    viewer = viewer_for(request.user)
    scope = scope_for(viewer, kind, key)
    _, period = _period(request)
    with transaction.atomic():
        board = selectors.dashboard(viewer=viewer, scope=scope, period=period, audit=False)
        prevention = panels.prevention_panels(viewer=viewer, scope=scope) if fmt == "pdf" else None
        audit_record(
            viewer=viewer,
            action=AuditAction.EXPORT,
            object_type="dashboard",
            object_id=scope.slug,
            summary=f"{scope.title} as {fmt.upper()}",
            detail={"persons": [p.pk for p, _ in board.top_offenders]},
        )
    name = f"shopwatch-{kind}-{key}-{period.start}-{period.end}"
    if fmt == "csv":
        response = HttpResponse(exports.dashboard_csv(board), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    if fmt == "pdf":
        stamp = f"Prepared for {request.user} on {timezone.localtime():%d %b %Y %H:%M}"
        response = HttpResponse(
            exports.dashboard_pdf(board, stamp, prevention), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    raise Http404(NOT_FOUND_MESSAGE)


@login_required
@require_POST
def prevention_add(request: HttpRequest, store_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    store = Store.objects.filter(pk=store_id).first()
    if store is None or not viewer.can_report_for(store_id):
        raise Http404(NOT_FOUND_MESSAGE)
    form = PreventionForm(request.POST)
    if form.is_valid():
        try:
            services.prevention_record(viewer=viewer, store=store, **form.cleaned_data)
        except ServiceError as exc:
            for e in exc.errors:
                messages.error(request, e.message)
        else:
            messages.success(request, "Prevention work recorded.")
    else:
        for errs in form.errors.values():
            for msg in errs:
                messages.error(request, str(msg))
    return redirect("insights:dashboard", kind="store", key=store_id)


@login_required
def surveys(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    owners = services.survey_owner_orgs(viewer)
    mine = Survey.objects.filter(owner_org__in=owners).order_by("-created_at")
    return render(request, "insights/surveys.html", {"surveys": mine, "owners": owners})


@login_required
def survey_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    owners = services.survey_owner_orgs(viewer)
    if not owners:
        raise Http404(NOT_FOUND_MESSAGE)
    form = SurveyForm(request.POST or None, owners=owners)
    if request.method == "POST" and form.is_valid():
        owner = next(o for o in owners if str(o.pk) == form.cleaned_data["owner"])
        questions = []
        for i in range(1, form.question_count + 1):
            text = form.cleaned_data.get(f"q{i}_text") or ""
            if text.strip():
                questions.append(
                    services.QuestionInput(
                        text=text,
                        kind=form.cleaned_data.get(f"q{i}_kind") or QuestionKind.SCALE,
                        choices=(form.cleaned_data.get(f"q{i}_choices") or "").splitlines(),
                    )
                )
        try:
            survey = services.survey_create(
                viewer=viewer,
                owner=owner,
                title=form.cleaned_data["title"],
                introduction=form.cleaned_data["introduction"],
                questions=questions,
            )
        except ServiceError as exc:
            for e in exc.errors:
                field = e.field
                if field.startswith("questions["):
                    idx = int(field[len("questions[") :].split("]")[0]) + 1
                    part = field.split(".")[-1] if "." in field else "text"
                    field = f"q{idx}_{part}"
                form.add_error(field if field in form.fields else None, e.message)
        else:
            messages.success(request, "Survey saved. Check it, then send it to your members.")
            return redirect("insights:survey-detail", pk=survey.pk)
    return render(request, "insights/survey_new.html", {"form": form})


def _owned_survey(request: HttpRequest, pk: int) -> Survey:
    viewer = viewer_for(request.user)
    owners = services.survey_owner_orgs(viewer)
    return get_object_or_404(Survey.objects.select_related("owner_org"), pk=pk, owner_org__in=owners)


@login_required
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _owned_survey(request, pk)
    invited = survey.invitations.count()
    answered = survey.invitations.filter(answered_at__isnull=False).count()
    results = []
    for q in survey.questions.all():
        answers = Answer.objects.filter(question=q)
        if q.kind == QuestionKind.SCALE:
            # Every answer to a scale question carries its scale (services.survey_answer).
            scales = Counter(s for s in answers.values_list("scale", flat=True) if s is not None)
            items = [
                (f"{n}", selectors.Figure(float(scales.get(n, 0)), str(scales.get(n, 0))))
                for n in range(1, 6)
            ]
            total = sum(scales.values())
            mean = (sum(k * v for k, v in scales.items()) / total) if total else None
            results.append(
                {"question": q, "chart": charts.bar_chart(items, q.text), "mean": mean, "texts": []}
            )
        elif q.kind == QuestionKind.CHOICE:
            counts = Counter(answers.values_list("choice", flat=True))
            items = [(c, selectors.Figure(float(counts.get(c, 0)), str(counts.get(c, 0)))) for c in q.choices]
            results.append(
                {"question": q, "chart": charts.bar_chart(items, q.text), "mean": None, "texts": []}
            )
        else:
            results.append(
                {
                    "question": q,
                    "chart": None,
                    "mean": None,
                    "texts": list(answers.values_list("text", flat=True)[:200]),
                }
            )
    return render(
        request,
        "insights/survey_detail.html",
        {"survey": survey, "invited": invited, "answered": answered, "results": results},
    )


@login_required
@require_POST
def survey_send(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _owned_survey(request, pk)
    n = services.survey_send(viewer=viewer_for(request.user), survey=survey)
    messages.success(request, f"Survey sent to {n} members.")
    return redirect("insights:survey-detail", pk=pk)


@login_required
def survey_answer(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    invitation = (
        None
        if viewer.user_id is None
        else SurveyInvitation.objects.filter(survey_id=pk, user_id=viewer.user_id)
        .select_related("survey")
        .first()
    )
    if invitation is None:
        raise Http404(NOT_FOUND_MESSAGE)
    survey = invitation.survey
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    if request.method == "POST":
        values = {f"q{q.pk}": request.POST.get(f"q{q.pk}", "") for q in survey.questions.all()}
        try:
            services.survey_answer(
                viewer=viewer,
                survey=survey,
                answers={q.pk: values[f"q{q.pk}"] for q in survey.questions.all()},
            )
        except ServiceError as exc:
            errors = {e.field: e.message for e in exc.errors}
        else:
            messages.success(request, "Thank you: your answers were recorded anonymously.")
            return redirect("insights:index")
    items = [
        {"q": q, "error": errors.get(f"q{q.pk}"), "value": values.get(f"q{q.pk}", "")}
        for q in survey.questions.all()
    ]
    return render(
        request,
        "insights/survey_answer.html",
        {
            "survey": survey,
            "invitation": invitation,
            "errors": errors,
            "items": items,
            "scale": ["1", "2", "3", "4", "5"],
        },
    )


@login_required
def questions(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and "status" not in request.POST and form.is_valid():
        try:
            services.accountability_question_submit(viewer=viewer, text=form.cleaned_data["text"])
        except ServiceError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Question sent to the PCC office.")
            return redirect("insights:questions")
    owners = services.survey_owner_orgs(viewer)
    received = (
        AccountabilityQuestion.objects.filter(pcc_office__in=owners)
        .select_related("organisation")
        .order_by("-submitted_at")[:200]
    )
    mine = AccountabilityQuestion.objects.filter(submitted_by_id=viewer.user_id).order_by("-submitted_at")[
        :50
    ]
    return render(
        request,
        "insights/questions.html",
        {"form": form, "received": received, "mine": mine, "office": services.pcc_office_for(viewer)},
    )


@login_required
@require_POST
def question_update(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    question = get_object_or_404(
        AccountabilityQuestion, pk=pk, pcc_office__in=services.survey_owner_orgs(viewer)
    )
    try:
        services.accountability_question_update(
            viewer=viewer,
            question=question,
            status=request.POST.get("status", ""),
            answer=request.POST.get("answer", ""),
        )
    except ServiceError as exc:
        for e in exc.errors:
            messages.error(request, e.message)
    else:
        messages.success(request, "Question updated.")
    return redirect("insights:questions")
