"""Forms for the incident pages. They check shape and turn text into values; services apply the rules."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse_lazy
from django.utils import timezone

from shopwatch.core.models import Store
from shopwatch.core.pickers import PickerField
from shopwatch.core.references import incident_reference

from .models import Flag, IncidentStatus, IncidentType, Priority
from .selectors import IncidentFilters
from .services import GoodsInput, IncidentInput, OffenderInput, VehicleInput

MAX_PHOTOS = 10
_LOCAL_INPUT = "%Y-%m-%dT%H:%M"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Any number of photos (the phone's camera, or its gallery); their content is checked by the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/*", "capture": "environment", "multiple": True}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(f"Attach at most {MAX_PHOTOS} photos to one report.")
        return [super(PhotosField, self).clean(f, initial) for f in files]


def now_local_input() -> str:
    return timezone.localtime().strftime(_LOCAL_INPUT)


class IncidentReportForm(forms.Form):
    """The shop worker's report: two things to fill in, everything else optional or already filled."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    type = forms.ChoiceField(
        label="What happened?",
        choices=IncidentType.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what happened."},
    )
    description = forms.CharField(
        label="Tell us what happened",
        help_text="A few sentences: what they did, what was said, which way they went. "
        "Up to 10,000 characters.",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Describe what happened.",
            "max_length": "At most 10,000 characters (this has %(show_value)s). Shorten it and send again: "
            "nothing you typed is lost.",
        },
    )
    occurred_at = forms.DateTimeField(
        label="When did it happen?",
        input_formats=[_LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_LOCAL_INPUT),
        error_messages={
            "required": "Enter when it happened.",
            "invalid": "Enter a date and time, like 28/11/2026 14:30.",
        },
    )
    store = forms.TypedChoiceField(
        label="Which store?",
        coerce=int,
        choices=(),
        error_messages={"required": "Choose the store.", "invalid_choice": "Choose one of your stores."},
    )
    flags = forms.MultipleChoiceField(
        label="Tick any that apply",
        choices=Flag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    report_to_police = forms.BooleanField(
        label="Report this to the police",
        required=False,
        help_text="Sends the report to the police force for this store's area.",
    )
    photos = PhotosField(
        label="Photos",
        required=False,
        error_messages={"empty": "One of the photos is empty (0 bytes). Take or choose it again."},
        help_text="Take photos now or choose them from the phone.",
    )
    goods_description = forms.CharField(label="What was taken", max_length=200, required=False)
    goods_value = forms.DecimalField(
        label="Value of goods taken (£)",
        required=False,
        min_value=Decimal("0"),
        max_digits=10,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"invalid": "Enter an amount in pounds, like 24.99."},
    )
    known_person = PickerField(
        label="Known person",
        required=False,
        url=reverse_lazy("reporting:pick-people"),
        help_text="If you recognise them from the partnership's gallery: type part of their name and choose "
        "them (their photo and where they were last seen are shown).",
    )
    offender_description = forms.CharField(
        label="Describe the person",
        help_text="Height, build, clothing, anything distinctive.",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    vehicle_registration = forms.CharField(
        label="Vehicle registration",
        max_length=12,
        required=False,
        help_text="For example AB12 CDE.",
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args: Any, stores: Sequence[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # No maxlength in the page: a browser would cut a long paste silently. The limit is checked as the
        # user types (data-max-chars, reporting/report-form.js) and on the server, with an inline message.
        description = self.fields["description"].widget
        description.attrs.pop("maxlength", None)
        description.attrs["data-max-chars"] = "10000"
        store_field = self.fields["store"]
        assert isinstance(store_field, forms.TypedChoiceField)
        store_field.choices = [(s.pk, s.name if not s.town else f"{s.name}, {s.town}") for s in stores]
        if len(stores) == 1:
            store_field.widget = forms.HiddenInput()
            store_field.initial = stores[0].pk
        self.fields["occurred_at"].initial = now_local_input
        for name in ("type", "description"):
            self.fields[name].widget.attrs["required"] = True

    def to_input(self) -> IncidentInput:
        d = self.cleaned_data
        value: Decimal | None = d.get("goods_value")
        goods_text = (d.get("goods_description") or "").strip()
        goods = [GoodsInput(description=goods_text, value=value or Decimal("0"))] if goods_text else []
        # The view has put the id of the person picked or typed here (reporting.pickers.person_resolve).
        person: int | None = d.get("known_person")
        offender_text = d.get("offender_description") or ""
        offenders = (
            [OffenderInput(person_id=person, description=offender_text)]
            if person or offender_text.strip()
            else []
        )
        reg = d.get("vehicle_registration") or ""
        occurred: dt.datetime = d["occurred_at"]
        return IncidentInput(
            store_id=d["store"],
            type=d["type"],
            occurred_at=occurred,
            description=d["description"],
            flags=list(d.get("flags") or []),
            report_to_police=bool(d.get("report_to_police")),
            goods=goods,
            goods_value=None if goods else value,
            offenders=offenders,
            vehicles=[VehicleInput(registration=reg)] if reg.strip() else [],
        )


# Where a service's field names land on the report form.
_FIELD_MAP: list[tuple[str, str]] = [
    (r"^store$", "store"),
    (r"^type$", "type"),
    (r"^occurred_at$", "occurred_at"),
    (r"^description$", "description"),
    (r"^flags(\[\d+\])?$", "flags"),
    (r"^goods\[\d+\]\.description$", "goods_description"),
    (r"^goods(\[\d+\]\.(value|quantity))?$|^goods_value$", "goods_value"),
    (r"^offenders\[\d+\]\.person$", "known_person"),
    (r"^offenders(\[\d+\](\.description)?)?$", "offender_description"),
    (r"^vehicles(\[\d+\]\.(registration|description))?$", "vehicle_registration"),
    (r"^photos$", "photos"),
]


def form_field_for(service_field: str) -> str | None:
    for pattern, name in _FIELD_MAP:
        if re.match(pattern, service_field):
            return name
    return None


class IncidentFilterForm(forms.Form):
    """The incident list's filters (GET). A bad value is reported and that filter left out."""

    q = forms.CharField(
        label="Reference or words",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    store = forms.TypedChoiceField(label="Store", coerce=int, required=False, empty_value=None, choices=())
    type = forms.ChoiceField(label="Type", required=False, choices=[("", "Any type"), *IncidentType.choices])
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *IncidentStatus.choices]
    )
    priority = forms.ChoiceField(
        label="Priority", required=False, choices=[("", "Any priority"), *Priority.choices]
    )
    date_from = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date, like 28/11/2026."},
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date, like 28/11/2026."},
    )

    def __init__(self, *args: Any, stores: Iterable[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["store"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "All stores"), *((s.pk, s.name) for s in stores)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The ‘to’ date must be on or after the ‘from’ date.")
        return data

    def to_filters(self) -> IncidentFilters:
        """The filters that are valid (invalid ones are left out, and shown as errors)."""
        self.is_valid()
        d = getattr(self, "cleaned_data", {})

        def start_of(day: dt.date | None) -> dt.datetime | None:
            if day is None:
                return None
            return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

        date_to: dt.date | None = d.get("date_to")
        return IncidentFilters(
            store=d.get("store"),
            type=d.get("type") or None,
            status=d.get("status") or None,
            priority=d.get("priority") or None,
            date_from=start_of(d.get("date_from")),
            date_to=start_of(date_to + dt.timedelta(days=1)) if date_to else None,
            # A reference as printed, in any case and dashes optional, finds its incident.
            q=incident_reference(d.get("q") or "") or (d.get("q") or "").strip() or None,
        )
