"""A shop owner answers a self-assessment on the page, sees the score and next steps, and prints the
certificate."""

from __future__ import annotations

from django.test import Client

from shopwatch.assessments.models import Assessment, QuestionSet
from shopwatch.assessments.services import question_sets_install
from shopwatch.core.models import AuditEvent
from tests.world import World


def test_answer_score_next_steps_and_certificate(world: World) -> None:
    question_sets_install()
    qs = QuestionSet.objects.get(slug="premises", current=True)
    client = Client()
    client.force_login(world.users["manager"])
    assert b"Premises security" in client.get("/assessments/").content
    form = client.get(f"/assessments/take/{qs.pk}/")
    assert form.status_code == 200
    assert qs.questions[0]["text"].encode() in form.content
    # A missing answer is named on the page.
    partial = {q["id"]: "yes" for q in qs.questions[1:]}
    again = client.post(f"/assessments/take/{qs.pk}/", {"store": world.stores["nw-brighton"].pk, **partial})
    assert again.status_code == 200
    assert b"Please answer this question." in again.content
    answers = {q["id"]: "no" if q["area"] == "cash" else "yes" for q in qs.questions}
    done = client.post(f"/assessments/take/{qs.pk}/", {"store": world.stores["nw-brighton"].pk, **answers})
    assert done.status_code == 302
    a = Assessment.objects.get()
    assert a.score == 80
    result = client.get(done["Location"])
    assert b"80%" in result.content
    assert b"time-delay safe" in result.content
    pdf = client.get(f"/assessments/{a.pk}/certificate.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(object_type="assessment", action="export").exists()
    other = Client()
    other.force_login(world.users["same_partnership_reporter"])
    assert other.get(f"/assessments/{a.pk}/").status_code == 404
