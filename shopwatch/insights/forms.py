from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from .models import QuestionKind

MAX_PERIOD = dt.timedelta(days=3 * 366)


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        today = timezone.localdate()
        end = end or today
        start = start or end - dt.timedelta(days=364)
        if start > end:
            self.add_error("start", "The start must be on or before the end.")
        elif end - start > MAX_PERIOD:
            self.add_error("start", "Choose a period of at most three years.")
        elif start < dt.date(1990, 1, 1):
            self.add_error("start", "Must not be before 1990.")
        data["start"], data["end"] = start, end
        return data


class PreventionForm(forms.Form):
    started_on = forms.DateField(label="Started on", widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(
        label="What was done",
        max_length=300,
        help_text="For example: security guard on Friday and Saturday evenings",
    )


class SurveyForm(forms.Form):
    title = forms.CharField(max_length=200)
    introduction = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, owners: list[Any], questions: int = 5, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = forms.ChoiceField(
            label="Survey from", choices=[(o.pk, o.name) for o in owners]
        )
        self.question_count = questions
        for i in range(1, questions + 1):
            self.fields[f"q{i}_text"] = forms.CharField(
                label=f"Question {i}", max_length=300, required=i == 1
            )
            self.fields[f"q{i}_kind"] = forms.ChoiceField(
                label=f"Question {i}: kind of answer", choices=QuestionKind.choices, required=False
            )
            self.fields[f"q{i}_choices"] = forms.CharField(
                label=f"Question {i}: options",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="For 'one choice' questions: one option a line",
            )


class QuestionForm(forms.Form):
    text = forms.CharField(
        label="Your question",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The PCC office may choose it for the next public accountability meeting.",
    )
