from __future__ import annotations

from django import forms


class LinkForm(forms.Form):
    incident = forms.CharField(
        label="Incident reference",
        max_length=40,
        help_text="The reference of the other incident this file shows, for example SW-ABCD-1234.",
    )
    reason = forms.CharField(
        label="Why it belongs to that incident too",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class UnlinkForm(forms.Form):
    reason = forms.CharField(label="Why it does not belong to that incident", max_length=500)
