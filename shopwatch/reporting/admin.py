"""Incidents in the operator's admin: read-mostly (reports are made and changed through ShopWatch itself)."""

from __future__ import annotations

from django.contrib import admin

from shopwatch.core.admin import ReadMostlyAdmin, ReadOnlyInline

from .models import GoodsLine, Incident, IncidentOffender, IncidentVehicle, StatusChange


class GoodsLineInline(ReadOnlyInline):
    model = GoodsLine


class IncidentOffenderInline(ReadOnlyInline):
    model = IncidentOffender


class IncidentVehicleInline(ReadOnlyInline):
    model = IncidentVehicle


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange


@admin.register(Incident)
class IncidentAdmin(ReadMostlyAdmin):
    list_display = ("reference", "store", "type", "status", "priority", "occurred_at", "channel")
    list_filter = ("status", "priority", "type", "channel", "distribution")
    search_fields = ("reference", "external_ref", "crime_reference", "store__name")
    date_hierarchy = "occurred_at"
    list_select_related = ("store",)
    inlines = (GoodsLineInline, IncidentOffenderInline, IncidentVehicleInline, StatusChangeInline)
