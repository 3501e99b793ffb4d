"""Evidence files in the operator's admin: read-only details; the files themselves are served by ShopWatch."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from shopwatch.core.admin import ReadMostlyAdmin

from .models import EvidenceFile


@admin.register(EvidenceFile)
class EvidenceFileAdmin(ReadMostlyAdmin):
    list_display = ("original_filename", "incident", "content_type", "size", "created_at")
    list_filter = ("content_type",)
    search_fields = ("original_filename", "sha256", "incident__reference")
    list_select_related = ("incident",)
    exclude = ("file", "thumbnail")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in EvidenceFile._meta.fields if f.name not in ("file", "thumbnail")]
