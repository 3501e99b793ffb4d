"""Forms for the marking pages. They check shape; the services apply the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from shopwatch.core.models import Store
from shopwatch.reporting.models import Incident

from .models import DeploymentTarget, KitKind, Product

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StoreChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class KitIssueForm(forms.Form):
    store = StoreChoice(queryset=Store.objects.none(), label="Issued to store", empty_label="Choose a store")
    product = forms.ChoiceField(choices=Product.choices)
    kind = forms.ChoiceField(label="Kind of kit", choices=KitKind.choices)
    batch = forms.CharField(max_length=60)
    code = forms.CharField(
        label="Unique code (or the first of a range)",
        max_length=60,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    last_code = forms.CharField(
        label="Last code of the range",
        max_length=60,
        required=False,
        help_text="Only for a range: the same letters, a higher number, e.g. SDNA-040149.",
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    issued_to = forms.CharField(
        label="Held by", max_length=200, required=False, help_text="The security officer or member of staff."
    )
    issued_on = forms.DateField(label="Issue date", widget=DATE)
    expires_on = forms.DateField(label="Expiry date", required=False, widget=DATE)

    def __init__(self, *args: Any, stores: QuerySet[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores  # type: ignore[attr-defined]


class DeploymentForm(forms.Form):
    incident = forms.ModelChoiceField(
        queryset=Incident.objects.none(),
        label="Incident",
        empty_label="Choose the incident",
        help_text="The store's incidents of the last 90 days, by reference.",
    )
    deployed_by = forms.CharField(label="Used by", max_length=200)
    deployed_at = forms.DateTimeField(
        label="When", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    where = forms.CharField(label="Where", max_length=200, required=False, help_text="e.g. the front door")
    target = forms.ChoiceField(label="Used on", choices=DeploymentTarget.choices, widget=forms.RadioSelect)
    target_detail = forms.CharField(
        label="On whom or what", max_length=300, required=False, help_text="A description, not a name."
    )

    def __init__(self, *args: Any, incidents: QuerySet[Incident], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["incident"]
        field.queryset = incidents  # type: ignore[attr-defined]
        field.label_from_instance = lambda i: f"{i.reference}, {i.occurred_at:%d %b %Y %H:%M}"  # type: ignore[attr-defined]


class PropertyForm(forms.Form):
    store = StoreChoice(queryset=Store.objects.none(), label="Store", empty_label="Choose a store")
    product = forms.ChoiceField(choices=Product.choices)
    code = forms.CharField(
        label="Code",
        max_length=60,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    description = forms.CharField(label="What is marked", max_length=300)

    def __init__(self, *args: Any, stores: QuerySet[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores  # type: ignore[attr-defined]


class LookupForm(forms.Form):
    code = forms.CharField(
        label="Code read under UV",
        max_length=80,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
