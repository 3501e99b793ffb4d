"""Surveys and accountability questions, end to end through the pages."""

from __future__ import annotations

import pytest
from django.test import Client

from shopwatch.insights.models import AccountabilityQuestion, Answer, Survey, SurveyInvitation
from tests.world import World


@pytest.mark.django_db
def test_pcc_survey_end_to_end(world: World, client: Client) -> None:
    client.force_login(world.users["pcc"])
    form = client.get("/insights/surveys/new/")
    assert form.status_code == 200
    missing = client.post("/insights/surveys/new/", {"owner": world.orgs["sussex-pcc"].pk, "title": ""})
    assert "This field is required." in missing.content.decode()
    response = client.post(
        "/insights/surveys/new/",
        {
            "owner": world.orgs["sussex-pcc"].pk,
            "title": "Confidence in the police response",
            "q1_text": "How confident are you in the police response to retail crime?",
            "q1_kind": "scale",
            "q2_text": "Did police attend your last violent incident?",
            "q2_kind": "choice",
            "q2_choices": "Yes\nNo\nNot sure",
        },
    )
    survey = Survey.objects.get()
    assert response.status_code == 302
    client.post(f"/insights/surveys/{survey.pk}/send/")
    invited = set(SurveyInvitation.objects.filter(survey=survey).values_list("user__email", flat=True))
    # Everyone reporting in the Sussex force area, and nobody in Thames Valley.
    assert "reporter@example.org" in invited
    assert "connected_reporter@example.org" in invited
    assert "unconnected_reporter@example.org" not in invited

    member = Client()
    member.force_login(world.users["reporter"])
    assert survey.title in member.get("/insights/").content.decode()
    q1, q2 = survey.questions.all()
    bad = member.post(f"/insights/surveys/{survey.pk}/answer/", {f"q{q1.pk}": "9"})
    assert "Choose a number from 1 to 5." in bad.content.decode()
    assert "Please answer this question." in bad.content.decode()
    ok = member.post(f"/insights/surveys/{survey.pk}/answer/", {f"q{q1.pk}": "2", f"q{q2.pk}": "No"})
    assert ok.status_code == 302
    again = member.post(f"/insights/surveys/{survey.pk}/answer/", {f"q{q1.pk}": "5", f"q{q2.pk}": "Yes"})
    assert "You answered this survey" in again.content.decode()
    assert Answer.objects.filter(survey=survey).count() == 2

    results = client.get(f"/insights/surveys/{survey.pk}/").content.decode()
    assert "1 answered" in results
    assert "Average 2.00 out of 5." in results
    outsider = Client()
    outsider.force_login(world.users["unconnected_reporter"])
    assert outsider.get(f"/insights/surveys/{survey.pk}/answer/").status_code == 404
    assert outsider.get(f"/insights/surveys/{survey.pk}/").status_code == 404


@pytest.mark.django_db
def test_accountability_questions(world: World, client: Client) -> None:
    client.force_login(world.users["manager"])
    client.post("/insights/questions/", {"text": "Why did nobody attend the assault on 3 May?"})
    q = AccountabilityQuestion.objects.get()
    assert q.pcc_office == world.orgs["sussex-pcc"]
    pcc = Client()
    pcc.force_login(world.users["pcc"])
    assert "nobody attend" in pcc.get("/insights/questions/").content.decode()
    pcc.post(
        f"/insights/questions/{q.pk}/", {"status": "answered", "answer": "The Chief Constable will reply."}
    )
    q.refresh_from_db()
    assert q.status == "answered"
    # A store colleague cannot answer for the PCC.
    assert client.post(f"/insights/questions/{q.pk}/", {"status": "declined"}).status_code == 404
