from __future__ import annotations

from django import forms

from .models import AlertKind, AreaMode


class RaiseAlertForm(forms.Form):
    store = forms.TypedChoiceField(label="Store", coerce=int)
    kind = forms.ChoiceField(
        label="What kind of alert",
        widget=forms.RadioSelect,
        initial=AlertKind.MANUAL,
        choices=[(k, v) for k, v in AlertKind.choices if k != AlertKind.INCIDENT],
    )
    message = forms.CharField(
        label="Message",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What members should look out for: description, direction of travel.",
    )

    def __init__(self, *args: object, stores: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["store"].choices = stores  # type: ignore[attr-defined]


class PreferenceForm(forms.Form):
    mode = forms.ChoiceField(label="Which alerts", choices=AreaMode.choices, widget=forms.RadioSelect)
    radius_km = forms.FloatField(label="Distance from my store (km)", min_value=0.1, max_value=50)
    by_email = forms.BooleanField(label="Also send alerts by email", required=False)
    # Notifications on a device are turned on and off with that device's own button (push.js), never here.
