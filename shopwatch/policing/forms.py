"""Forms for the police pages. They check shape; the services apply the rules."""

from __future__ import annotations

from typing import Any

from django import forms

from shopwatch.core.models import User

from .models import LinkBasis, OutcomeType, PoliceStatus


class DecisionForm(forms.Form):
    prefix = "decision"

    decision = forms.ChoiceField(
        label="Decision",
        choices=[
            ("accept", "Accept and record as a crime"),
            ("reject", "Reject"),
            ("request_info", "Ask the store for more information"),
            ("request_cctv", "Ask the store for CCTV"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a decision."},
    )
    reason = forms.CharField(
        label="Reason or what you need",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed to reject or to ask the store for something. The store sees it.",
    )


class AssignForm(forms.Form):
    prefix = "assign"

    assignee = forms.TypedChoiceField(
        label="Investigator", coerce=int, error_messages={"required": "Choose an investigator."}
    )

    def __init__(self, *args: Any, officers: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose an investigator")] + [(u.pk, u.full_name or u.email) for u in officers]


class AttendanceForm(forms.Form):
    prefix = "attend"

    attended_at = forms.DateTimeField(
        label="When officers attended",
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": "Enter when officers attended.", "invalid": "Enter a date and time."},
    )
    note = forms.CharField(
        label="Note", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CrimeRecordForm(forms.Form):
    prefix = "record"

    crime_reference = forms.CharField(
        label="Crime reference number",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    status = forms.ChoiceField(
        label="Status",
        choices=[("", "Choose a status"), *PoliceStatus.choices],
        error_messages={"required": "Choose a status."},
    )


class OutcomeForm(forms.Form):
    prefix = "outcome"

    outcome = forms.ChoiceField(
        label="Home Office outcome",
        choices=[("", "Choose an outcome"), *OutcomeType.choices],
        error_messages={"required": "Choose an outcome."},
    )
    cbo_applied = forms.BooleanField(label="Criminal Behaviour Order applied for", required=False)
    cbo_granted = forms.BooleanField(label="Criminal Behaviour Order granted", required=False)
    note = forms.CharField(
        label="Note", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class EndpointForm(forms.Form):
    url = forms.URLField(
        label="Receiving address",
        max_length=500,
        assume_scheme="https",
        help_text="Your records management system's https:// address for ShopWatch hand-offs.",
        error_messages={
            "required": "Enter the receiving address.",
            "invalid": "Enter a full address starting https://",
        },
    )
    secret = forms.CharField(
        label="Shared secret",
        min_length=16,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 16 characters. Both sides sign with it; it is never shown again.",
        error_messages={
            "required": "Enter the shared secret.",
            "min_length": "The secret must be at least 16 characters.",
        },
    )


class ReferralForm(forms.Form):
    prefix = "referral"

    staff_name = forms.CharField(
        label="Name of the member of staff",
        max_length=200,
        error_messages={"required": "Enter the name of the member of staff."},
    )
    service = forms.CharField(
        label="Victim support service",
        max_length=200,
        initial="Victim Support",
        help_text="The PCC-commissioned service for the area. Free, whether or not the crime is reported.",
        error_messages={"required": "Enter the service."},
    )
    contact = forms.CharField(label="How the service can contact them", max_length=200, required=False)
    consent = forms.BooleanField(
        label="They agreed to be referred", error_messages={"required": "A referral needs their agreement."}
    )
    note = forms.CharField(
        label="Note", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SeriesForm(forms.Form):
    name = forms.CharField(
        label="Name of the series", max_length=200, error_messages={"required": "Give the series a name."}
    )
    basis = forms.ChoiceField(
        label="Linked by",
        choices=LinkBasis.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what links the incidents."},
    )
    method = forms.CharField(label="Method (for a series linked by method)", max_length=300, required=False)


class SignStatementForm(forms.Form):
    signed_name = forms.CharField(
        label="Your full name",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Type your full name to sign."},
    )
    declaration = forms.BooleanField(
        label="I make this statement knowing the declaration above is true",
        required=False,
    )
