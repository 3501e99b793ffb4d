"""Forms for face search pages (checking is done by the services)."""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy

from shopwatch.core.ids import MAX_ID, parse_id
from shopwatch.core.pickers import PickerField

DATE = forms.DateInput(attrs={"type": "date"})


class SearchForm(forms.Form):
    # Chosen from the stills and videos the page shows (faces/index.html), never typed as a number.
    evidence = forms.IntegerField(
        label="Evidence still or video",
        min_value=1,
        max_value=MAX_ID,
        error_messages={
            "required": "Pick a still or a video.",
            "invalid": "Pick a still or a video from the list.",
        },
    )
    at = forms.CharField(
        label="For a video: the time of the frame to search (seconds or mm:ss)", max_length=20, required=False
    )
    purpose = forms.CharField(
        label="Purpose (the offence or enquiry this search is for)",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DecisionForm(forms.Form):
    """``choice`` is ``match:<candidate id>``, ``no_match`` or ``inconclusive``."""

    choice = forms.CharField(
        label="Your decision", max_length=40, error_messages={"required": "Pick a decision."}
    )
    reason = forms.CharField(label="Reason", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))

    def outcome(self) -> tuple[str, int | None]:
        """The outcome, and for a match the candidate's id (None where the choice names no valid id)."""
        outcome, _, candidate = str(self.cleaned_data["choice"]).partition(":")
        return outcome, parse_id(candidate)


class SettingsForm(forms.Form):
    dpia_reference = forms.CharField(label="DPIA reference", max_length=200, required=False)
    dpia_approved_on = forms.DateField(label="DPIA approved on", required=False, widget=DATE)
    enabled = forms.BooleanField(label="Partnership managers may search faces", required=False)
    second_reviewer_required = forms.BooleanField(
        label="A second reviewer must confirm each decision", required=False
    )


class VulnerableForm(forms.Form):
    note = forms.CharField(label="Why (kept with the flag)", max_length=500)


class VulnerablePersonForm(VulnerableForm):
    """Flagging from the processing record: the person is picked by name (with their photo and last-seen
    store), never asked for by number."""

    field_order = ("person", "note")

    person = PickerField(
        label="Person",
        url=reverse_lazy("reporting:pick-people"),
        help_text="Type part of their name and choose them.",
    )
