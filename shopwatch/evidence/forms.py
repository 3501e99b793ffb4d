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


class PersonForm(forms.Form):
    person = forms.TypedChoiceField(label="Person", coerce=int)
    note = forms.CharField(
        label="Where they appear",
        required=False,
        max_length=500,
        help_text="For example: at the till, 10:02 to 10:04.",
    )

    def __init__(self, *args: object, people: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["person"].choices = people  # type: ignore[attr-defined]
