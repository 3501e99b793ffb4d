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


class SeriesLinkForm(forms.Form):
    """Link incidents into a new series or one the force already has. ``candidates`` are the incidents
    offered (the chosen ones and the search results); ``series`` the force's existing series."""

    q = forms.CharField(
        label="Search by reference",
        required=False,
        max_length=40,
        help_text="Any part of the incident reference.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "type": "search"}),
    )
    incidents = forms.TypedMultipleChoiceField(
        label="Incidents to link",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose incidents from the list."},
    )
    target = forms.ChoiceField(
        label="Link them into",
        choices=[("new", "A new series"), ("existing", "A series you already have")],
        initial="new",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a new or an existing series."},
    )
    series = forms.TypedChoiceField(
        label="Existing series",
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "Choose one of your force's series."},
    )
    # Needed for a new series only (see __init__).
    name = forms.CharField(
        label="Name of the new series",
        max_length=200,
        error_messages={"required": "Give the series a name."},
    )
    basis = forms.ChoiceField(
        label="What links them",
        choices=LinkBasis.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what links the incidents."},
    )
    method = forms.CharField(label="Method (for a series linked by method)", max_length=300, required=False)
    reason = forms.CharField(
        label="Why these incidents are linked",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with each link and in the audit trail.",
        error_messages={"required": "Say why these incidents are linked."},
    )

    def __init__(
        self,
        *args: Any,
        candidates: list[tuple[int, str]],
        series: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        incidents = self.fields["incidents"]
        assert isinstance(incidents, forms.ChoiceField)
        incidents.choices = candidates
        field = self.fields["series"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose a series"), *series]
        if self.is_bound and self.data.get("target") == "existing":
            self.fields["name"].required = False
            self.fields["basis"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("target") == "existing" and not data.get("series") and "series" not in self.errors:
            self.add_error("series", "Choose the series to add them to.")
        return data


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
