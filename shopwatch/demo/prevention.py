"""Demo data for prevention: Navigator casework, forensic marking and security self-assessments.

* Navigator Trust holds cases for the most prolific people in Sussex: some engaged (one shared with police,
  one closed after the person stopped offending), one referred and waiting for consent, one who refused.
* Every store of the Brighton and Crawley partnerships, and a few in Oxford, holds a SmartWater,
  SelectaDNA or SmartTag kit (some as code ranges), used in recent incidents that named a known person;
  some stores register marked stock and display marking signage.
* A PCC-funded cyber-resilience programme, with stores enrolled and both self-assessments completed.

Deterministic: its own random stream, times derived from the seed's period. Written straight to the
tables (like the rest of the seed); the services' rules are kept (codes unique, deployments at the kit's
store, case details only after consent).
"""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import Count
from django.utils import timezone

from shopwatch.assessments.models import Assessment, Enrolment, EnrolmentStatus, Programme, QuestionSet
from shopwatch.assessments.scoring import score
from shopwatch.assessments.services import question_sets_install
from shopwatch.marking.models import (
    Deployment,
    DeploymentTarget,
    KitKind,
    MarkedProperty,
    MarkingKit,
    Product,
    SignageDisplay,
)
from shopwatch.navigator.models import (
    CaseContact,
    CaseGoal,
    CaseNeed,
    CaseStatus,
    Consent,
    ContactKind,
    NavigatorCase,
    NavigatorSettings,
    NeedArea,
    OnwardReferral,
    ReferralOutcome,
    ReferralSource,
)
from shopwatch.reporting.models import Incident, IncidentOffender
from shopwatch.subjects.models import Person

from . import places
from .world import DemoWorld, demo_email

# (consent, shared with police, closed because) for the cases, most prolific person first.
CASES = [
    (Consent.GIVEN, True, ""),
    (Consent.GIVEN, False, ""),
    (Consent.GIVEN, False, "Stopped shoplifting; moved into supported housing and work"),
    (Consent.GIVEN, True, ""),
    (Consent.GIVEN, False, ""),
    (Consent.PENDING, False, ""),
    (Consent.REFUSED, False, ""),
]
NEEDS = [
    (NeedArea.HOUSING, "Sofa-surfing since leaving a hostel."),
    (NeedArea.SUBSTANCE, "Daily heroin use; wants a script."),
    (NeedArea.MENTAL_HEALTH, "Anxiety; no GP registration."),
    (NeedArea.DEBT, "Benefit sanction and rent arrears."),
    (NeedArea.EMPLOYMENT, "Wants a CSCS card to work on sites."),
]
SERVICES = {
    NeedArea.HOUSING: "Brighton Housing Trust",
    NeedArea.SUBSTANCE: "Change Grow Live Brighton",
    NeedArea.MENTAL_HEALTH: "Sussex Mental Healthcare Wellbeing Service",
    NeedArea.DEBT: "Citizens Advice Brighton and Hove",
    NeedArea.EMPLOYMENT: "Jobcentre Plus work coach",
}
KIT_PARTNERSHIPS = {places.BRIGHTON, places.CRAWLEY}
PRODUCTS = [Product.SMARTWATER, Product.SELECTADNA, Product.SMARTTAG]
PREFIX = {Product.SMARTWATER: "SW", Product.SELECTADNA: "SDNA", Product.SMARTTAG: "ST"}


def _person_counts(force_id: int) -> list[tuple[int, int]]:
    rows = (
        IncidentOffender.objects.filter(person__isnull=False, incident__force_id=force_id)
        .values("person_id")
        .annotate(n=Count("incident_id", distinct=True))
        .order_by("-n", "person_id")
    )
    return [(r["person_id"], r["n"]) for r in rows[: len(CASES)]]


def _seed_cases(w: DemoWorld, rng: random.Random, start: dt.datetime, end: dt.datetime) -> int:
    sussex = w.orgs[places.SUSSEX]
    navigators = w.orgs[places.NAVIGATORS]
    # The Trust keeps closed cases for two years after closure (its retention setting).
    NavigatorSettings.objects.create(organisation=navigators, delete_closed_after_months=24)
    navigator = w.users.get(demo_email("navigator"))
    period = (end - start).days
    n = 0
    for (person_id, _), (consent, shared, closed_because) in zip(
        _person_counts(sussex.pk), CASES, strict=False
    ):
        person = Person.objects.get(pk=person_id)
        # Referred in the middle of the period, so offending before and after can both be seen.
        referred = (start + dt.timedelta(days=period // 2 - 20 + rng.randint(-25, 25))).date()
        prompting = list(
            Incident.objects.filter(
                offenders__person=person, occurred_at__lt=start + dt.timedelta(days=period // 2)
            )
            .order_by("-occurred_at")
            .values_list("pk", flat=True)[:3]
        )
        case = NavigatorCase.objects.create(
            organisation=navigators,
            force=sussex,
            person=person,
            source=[ReferralSource.POLICE, ReferralSource.PARTNERSHIP, ReferralSource.PROBATION][n % 3],
            referred_by=["PC Ali Khan, Sussex Police", "Helen Marsh, Brighton BCRP", "Probation, Brighton"][
                n % 3
            ],
            reason=f"Prolific shoplifting: {len(prompting)} recent incidents in Brighton and Hove; "
            "thought to be stealing to fund drug use.",
            referred_at=referred,
            navigator=navigator,
        )
        case.prompting_incidents.set(prompting)
        if consent != Consent.PENDING:
            consent_at = referred + dt.timedelta(days=rng.randint(3, 12))
            case.consent = consent
            case.consent_at = consent_at
            if consent == Consent.GIVEN:
                case.status = CaseStatus.ACTIVE
                case.engaged_at = consent_at
                case.shared_with_police = shared
                _seed_casework(case, rng, consent_at, end.date(), navigator)
                if closed_because:
                    case.status = CaseStatus.CLOSED
                    case.closed_at = min(consent_at + dt.timedelta(days=150), timezone.localdate())
                    case.closure_reason = closed_because
            else:
                case.status = CaseStatus.CLOSED
                case.closed_at = consent_at
                case.closure_reason = "Consent refused"
            case.save()
        n += 1
    return n


def _seed_casework(
    case: NavigatorCase, rng: random.Random, engaged: dt.date, until: dt.date, user: object
) -> None:
    needs = rng.sample(NEEDS, 3)
    for area, detail in needs:
        CaseNeed.objects.create(case=case, area=area, detail=detail, recorded_at=engaged)
    day = engaged
    while day < until and day < engaged + dt.timedelta(days=180):
        kind = ContactKind.SESSION if rng.random() < 0.6 else ContactKind.CONTACT
        if rng.random() < 0.15:
            kind = ContactKind.MISSED
        CaseContact.objects.create(
            case=case,
            kind=kind,
            on=day,
            note="Met at the day centre." if kind == ContactKind.SESSION else "",
            recorded_by=user,  # type: ignore[misc]
        )
        day += dt.timedelta(days=rng.randint(6, 16))
    for i, (area, _) in enumerate(needs[:2]):
        OnwardReferral.objects.create(
            case=case,
            service=SERVICES[area],
            area=area,
            referred_on=engaged + dt.timedelta(days=7 + 10 * i),
            outcome=[ReferralOutcome.ATTENDED, ReferralOutcome.ACCEPTED, ReferralOutcome.PENDING][i],
        )
    CaseGoal.objects.create(
        case=case, text="Register with a GP", progress=100, achieved_on=engaged + dt.timedelta(days=30)
    )
    CaseGoal.objects.create(case=case, text="Into stable accommodation", progress=rng.choice([25, 50, 75]))


def _seed_marking(w: DemoWorld, rng: random.Random, end: dt.datetime) -> int:
    kits = 0
    number = 40100
    stores = [
        s
        for spec in places.STORES
        if (s := w.stores[spec.key])
        and (
            spec.partnership in KIT_PARTNERSHIPS
            or spec.key in {"nw-oxford-cornmarket", "ks-oxford-cornmarket"}
        )
    ]
    for i, store in enumerate(stores):
        product = PRODUCTS[i % 3]
        prefix = f"{PREFIX[product]}-"
        ranged = product == Product.SELECTADNA
        code = f"{prefix}{number:06d}"
        issued = (end - dt.timedelta(days=300 + rng.randint(0, 60))).date()
        kit = MarkingKit.objects.create(
            owner_org_id=store.retailer_id,
            store=store,
            product=product,
            kind=KitKind.SPRAY if i % 4 else KitKind.FIXED,
            batch=f"B{2024 + i % 2}-{rng.randint(100, 999)}",
            code=code,
            code_prefix=prefix,
            code_from=number,
            code_to=number + (49 if ranged else 0),
            issued_to="Store security officer" if i % 2 else "Duty manager",
            issued_on=issued,
            expires_on=issued + dt.timedelta(days=730),
        )
        number += 100
        kits += 1
        for inc in (
            Incident.objects.filter(
                store=store, offenders__person__isnull=False, occurred_at__gte=end - dt.timedelta(days=200)
            )
            .order_by("-occurred_at")
            .distinct()[:2]
        ):
            Deployment.objects.create(
                kit=kit,
                incident=inc,
                deployed_by=kit.issued_to,
                deployed_at=inc.occurred_at,
                where="At the exit doors",
                target=DeploymentTarget.PERSON,
                target_detail="Sprayed on the offender's jacket as they left",
            )
        if i % 3 == 0:
            MarkedProperty.objects.create(
                owner_org_id=store.retailer_id,
                store=store,
                product=product,
                code=f"{prefix}P{number:06d}",
                description="Marked high-value stock (razor blades, spirits) in the locked display",
                registered_on=issued,
            )
        if i % 2 == 0:
            SignageDisplay.objects.create(store=store, product=product, since=issued)
    return kits


def _seed_assessments(w: DemoWorld, rng: random.Random, end: dt.datetime) -> int:
    question_sets_install()
    sets = list(QuestionSet.objects.filter(current=True).order_by("slug"))
    brighton = w.orgs[places.BRIGHTON]
    programme = Programme.objects.create(
        title="Sussex Cyber Resilience Membership for small businesses",
        kind="cyber membership",
        funder=w.orgs["sussex-pcc"],
        funding_note="Funded from recovered criminal assets (Proceeds of Crime Act)",
        partnership=brighton,
        places=300,
        eligibility="Independent shops and small chains with fewer than 50 staff in Brighton and Hove",
        question_set_slug="cyber",
        starts_on=(end - dt.timedelta(days=240)).date(),
    )
    n = 0
    specs = [s for s in places.STORES if s.partnership == places.BRIGHTON]
    # A second programme still taking businesses: two enrolled so far, the rest of Brighton to enrol.
    review = Programme.objects.create(
        title="Shop security review",
        kind="security review",
        funder=w.orgs["sussex-pcc"],
        funding_note="A crime prevention adviser visits and reviews lighting, CCTV, layout and cash handling",
        partnership=brighton,
        places=40,
        eligibility="Shops in Brighton and Hove with three or more incidents in the last year",
        question_set_slug="premises",
        starts_on=(end - dt.timedelta(days=30)).date(),
        ends_on=(end + dt.timedelta(days=150)).date(),
    )
    for i, spec in enumerate(specs[:2]):
        Enrolment.objects.create(
            programme=review,
            organisation_id=w.stores[spec.key].retailer_id,
            store=w.stores[spec.key],
            status=EnrolmentStatus.ATTENDING if i == 0 else EnrolmentStatus.ENROLLED,
            sessions_attended=1 if i == 0 else 0,
            enrolled_on=(end - dt.timedelta(days=20 - 5 * i)).date(),
        )
    for i, spec in enumerate(specs):
        store = w.stores[spec.key]
        reporter = w.store_reporter.get(spec.key)
        enrolled = (end - dt.timedelta(days=200 - 5 * i)).date()
        Enrolment.objects.create(
            programme=programme,
            organisation_id=store.retailer_id,
            store=store,
            status=[EnrolmentStatus.COMPLETED, EnrolmentStatus.ATTENDING, EnrolmentStatus.ENROLLED][i % 3],
            sessions_attended=[4, 2, 0][i % 3],
            enrolled_on=enrolled,
            completed_on=enrolled + dt.timedelta(days=60) if i % 3 == 0 else None,
        )
        for qs in sets:
            if i % 4 == 3 and qs.slug == "premises":
                continue
            answers = {q["id"]: rng.choice(["yes", "yes", "partly", "no"]) for q in qs.questions}
            scored = score(qs.questions, qs.areas, answers)
            when = end - dt.timedelta(days=150 - 7 * i, hours=rng.randint(9, 17))
            Assessment.objects.create(
                question_set=qs,
                organisation_id=store.retailer_id,
                store=store,
                completed_by=reporter,
                answers=answers,
                score=scored.score,
                area_scores=scored.area_scores,
                next_steps=scored.next_steps,
                certificate_number=f"SW-{qs.slug[:3].upper()}-{when:%Y%m%d}-D{n:04d}",
                completed_at=when,
            )
            n += 1
    return n


def seed_prevention(w: DemoWorld, *, seed: int, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """Navigator cases, marking kits and self-assessments for the demo world (after its incidents)."""
    rng = random.Random(seed * 7919 + 12)
    return {
        "navigator_cases": _seed_cases(w, rng, start, end),
        "marking_kits": _seed_marking(w, rng, end),
        "assessments": _seed_assessments(w, rng, end),
    }
