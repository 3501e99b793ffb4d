from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy

from shopwatch.core.pickers import PickerField

from .models import Assessment, HandlingCode, NetworkSharing, ServedHow, SourceEvaluation, SubjectKind

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class GalleryAddForm(forms.Form):
    id_sought = forms.BooleanField(label="We do not know who this is (ID sought)", required=False)
    given_name = forms.CharField(label="First name", max_length=100, required=False)
    family_name = forms.CharField(label="Last name", max_length=100, required=False)
    date_of_birth = forms.DateField(label="Date of birth", required=False, widget=DATE)
    description = forms.CharField(
        label="Description",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Height, build, hair, clothing, distinguishing features",
    )
    reason = forms.CharField(label="Why they are listed", max_length=500)
    advice = forms.CharField(label="What to do if seen", max_length=500, required=False)
    photo = forms.ImageField(
        label="Photo", required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/*"})
    )
    confirm_new = forms.BooleanField(
        label="This is a different person from the similar records shown", required=False
    )


PEOPLE = reverse_lazy("reporting:pick-people")


class HelpIdentifyForm(forms.Form):
    suggested_person = PickerField(
        label="I think this is",
        required=False,
        url=PEOPLE,
        help_text="If it is someone already known: type part of their name and choose them.",
    )
    text = forms.CharField(
        label="Who do you think this is, and why?", max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    source_details = forms.CharField(
        label="How you know (kept from everyone but the grader)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class IntelligenceForm(forms.Form):
    partnership = forms.TypedChoiceField(label="Partnership", coerce=int)
    kind = forms.ChoiceField(
        label="It is about",
        choices=[(k, v) for k, v in SubjectKind.choices if k != SubjectKind.IDENTIFICATION],
        widget=forms.RadioSelect,
    )
    person = PickerField(
        label="Person",
        required=False,
        url=PEOPLE,
        help_text="If it is about a known person: type part of their name and choose them.",
    )
    registration = forms.CharField(label="Vehicle registration", max_length=20, required=False)
    place = forms.CharField(label="Place", max_length=300, required=False)
    text = forms.CharField(label="What you know", max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    source_details = forms.CharField(
        label="How you know, and from whom (kept from everyone but the grader)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, partnerships: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partnership"].choices = partnerships  # type: ignore[attr-defined]


class GradeForm(forms.Form):
    source_evaluation = forms.ChoiceField(
        label="Source evaluation", choices=SourceEvaluation.choices, widget=forms.RadioSelect
    )
    assessment = forms.ChoiceField(
        label="Intelligence assessment", choices=Assessment.choices, widget=forms.RadioSelect
    )
    handling_code = forms.ChoiceField(
        label="Handling code", choices=HandlingCode.choices, widget=forms.RadioSelect
    )
    handling_conditions = forms.CharField(
        label="Handling conditions (required for code C)", max_length=1000, required=False
    )
    sanitised_text = forms.CharField(
        label="Text to share (nothing that identifies the source)",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    share_with = forms.ChoiceField(
        label="Share with",
        choices=[
            ("partnership", "This partnership"),
            ("connected", "Connected partnerships"),
            ("police", "Partnerships and police"),
        ],
    )


class ConfirmIdentificationForm(forms.Form):
    suggested_person = PickerField(
        label="This is",
        url=PEOPLE,
        help_text="The known person the suggestion names: type part of their name and choose them.",
    )
    confirmation_reason = forms.CharField(
        label="Why you are confident it is them",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Recorded with your name; an investigator or analyst reviews the link it proposes.",
    )


class ServiceFields(forms.Form):
    served_how = forms.ChoiceField(
        label="How it was served", choices=ServedHow.choices, widget=forms.RadioSelect
    )
    served_at = forms.DateTimeField(
        label="When it was served", widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    served_by = forms.CharField(label="Served by", max_length=200)
    incidents = forms.CharField(
        label="Incident references relied on",
        max_length=2000,
        help_text="Incident references as printed, such as SW-7KQ3-M9X2 (any case, dashes optional), "
        "separated by spaces or commas",
    )


class WarningForm(ServiceFields):
    person = PickerField(label="Person", url=PEOPLE, help_text="Type part of their name and choose them.")
    reason = forms.CharField(label="Reason", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class ExclusionForm(ServiceFields):
    person = PickerField(label="Person", url=PEOPLE, help_text="Type part of their name and choose them.")
    all_premises = forms.BooleanField(label="All member premises", required=False, initial=True)
    stores = forms.MultipleChoiceField(
        label="Or only these premises", required=False, widget=forms.CheckboxSelectMultiple
    )
    starts_on = forms.DateField(label="Starts on", widget=DATE)
    ends_on = forms.DateField(label="Ends on (12 months if left empty)", required=False, widget=DATE)
    conditions = forms.CharField(
        label="Conditions", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, stores: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stores"].choices = stores  # type: ignore[attr-defined]


class AppealForm(forms.Form):
    grounds = forms.CharField(
        label="Grounds of appeal", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AppealDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[("upheld", "Upheld"), ("varied", "Varied"), ("overturned", "Overturned")],
        widget=forms.RadioSelect,
    )
    decision_reason = forms.CharField(
        label="Reason", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    new_ends_on = forms.DateField(label="New end date (if varied)", required=False, widget=DATE)


class SettingsForm(forms.Form):
    gallery_months = forms.IntegerField(
        label="Gallery entries expire after (months)", min_value=1, max_value=36
    )
    delete_after_months = forms.IntegerField(
        label="Delete people with no new incidents after (months)", min_value=1, max_value=120
    )
    network_sharing = forms.ChoiceField(
        label="Share with connected partnerships", choices=NetworkSharing.choices, widget=forms.RadioSelect
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=300)


class RectifyForm(forms.Form):
    given_name = forms.CharField(label="First name", max_length=100, required=False)
    family_name = forms.CharField(label="Last name", max_length=100, required=False)
    date_of_birth = forms.DateField(label="Date of birth", required=False, widget=DATE)
    description = forms.CharField(
        label="Description", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = forms.CharField(label="Why the record is corrected", max_length=500)
