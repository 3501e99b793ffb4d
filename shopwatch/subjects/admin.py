"""People and vehicles in the operator's admin: read-mostly (recorded through ShopWatch itself)."""

from __future__ import annotations

from django.contrib import admin

from shopwatch.core.admin import ReadMostlyAdmin, ReadOnlyInline

from .models import Person, PersonAlias, Vehicle


class PersonAliasInline(ReadOnlyInline):
    model = PersonAlias


@admin.register(Person)
class PersonAdmin(ReadMostlyAdmin):
    list_display = ("__str__", "status", "owner_org", "distribution", "last_incident_at")
    list_filter = ("status", "distribution")
    search_fields = ("given_name", "family_name")
    list_select_related = ("owner_org",)
    inlines = (PersonAliasInline,)


@admin.register(Vehicle)
class VehicleAdmin(ReadMostlyAdmin):
    list_display = ("registration", "make", "model", "colour")
    search_fields = ("registration",)
