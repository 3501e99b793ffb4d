"""Forms for the programme pages. They check shape; the services apply the rules."""

from __future__ import annotations

from typing import Any

from django import forms

from shopwatch.core.models import Organisation, Store

from .services import PROGRAMME_KINDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class NamedChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ProgrammeForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(label="Kind of programme", choices=PROGRAMME_KINDS)
    partnership = NamedChoice(queryset=Organisation.objects.none(), empty_label=None)
    funder = NamedChoice(queryset=Organisation.objects.none(), empty_label=None)
    funding_note = forms.CharField(
        label="Funding note",
        max_length=300,
        required=False,
        help_text="e.g. from recovered criminal assets (Proceeds of Crime Act).",
    )
    places = forms.IntegerField(min_value=1, max_value=10_000)
    eligibility = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 3}), help_text="Who may take part."
    )
    question_set_slug = forms.ChoiceField(label="Self-assessment taken as part of it", required=False)
    starts_on = forms.DateField(label="Starts", widget=DATE)
    ends_on = forms.DateField(label="Ends", required=False, widget=DATE)

    def __init__(
        self,
        *args: Any,
        partnerships: list[Organisation],
        funders: list[Organisation],
        assessments: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partnership"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            pk__in=[p.pk for p in partnerships]
        ).order_by("name")
        self.fields["funder"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            pk__in=[f.pk for f in funders]
        ).order_by("kind", "name")
        self.fields["question_set_slug"].choices = [("", "None"), *assessments]  # type: ignore[attr-defined]


class EnrolForm(forms.Form):
    store = NamedChoice(
        queryset=Store.objects.none(), label="Business to enrol", empty_label="Choose a store"
    )

    def __init__(self, *args: Any, stores: list[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = Store.objects.filter(  # type: ignore[attr-defined]
            pk__in=[s.pk for s in stores]
        ).order_by("name")


class AttendanceForm(forms.Form):
    sessions = forms.IntegerField(label="Sessions attended", min_value=0, max_value=100)
    completed = forms.BooleanField(label="Completed the programme", required=False)
