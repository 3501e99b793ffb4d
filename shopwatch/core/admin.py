"""Django admin for the platform operator. Signing in to it needs two-factor (see middleware).

Changes made here are written to the audit trail as well as to the admin's own history. The audit
trail itself is read-only; API keys are made only by the key service and can only be revoked here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from .apikeys import apikey_revoke
from .audit import audit_record
from .entitlements import viewer_for
from .models import (
    ApiKey,
    AuditAction,
    AuditEvent,
    Membership,
    Network,
    Organisation,
    PartnershipMembership,
    ScheduledRun,
    SharingGroup,
    Store,
    User,
)

admin.site.site_header = "ShopWatch administration"
admin.site.site_title = "ShopWatch admin"
admin.site.index_title = "Platform operator"


def _store_id(obj: Model) -> int | None:
    if isinstance(obj, Store):
        return obj.pk
    store_id = getattr(obj, "store_id", None)
    return store_id if isinstance(store_id, int) else None


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Each add, change and delete made through the admin also goes on the audit trail."""

    def _audit(self, request: HttpRequest, obj: Model, action: str, summary: str) -> None:
        audit_record(
            viewer=viewer_for(request.user),
            action=action,
            object_type=obj._meta.model_name or type(obj).__name__.lower(),
            object_id=obj.pk,
            store_id=_store_id(obj),
            summary=f"Admin: {summary}",
        )

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        self._audit(request, obj, AuditAction.CREATE, f"added {obj}")
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        self._audit(request, obj, AuditAction.CHANGE, f"changed {obj}")
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            self._audit(request, obj, AuditAction.DELETE, f"deleted {obj}")
        return super().log_deletions(request, queryset)


class ReadMostlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Records that people create through ShopWatch itself: the operator can look, not add or delete."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields] + [m.name for m in self.model._meta.many_to_many]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PartnershipMemberInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PartnershipMembership
    fk_name = "partnership"
    extra = 0
    autocomplete_fields = ("organisation",)
    verbose_name = "member organisation"
    verbose_name_plural = "member organisations (for a partnership)"


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ("name", "kind", "slug", "partnership_type", "force")
    list_filter = ("kind", "partnership_type")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("force",)
    inlines = (PartnershipMemberInline,)


@admin.register(Network)
class NetworkAdmin(AuditedAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("partnerships",)


@admin.register(SharingGroup)
class SharingGroupAdmin(AuditedAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("organisations",)


@admin.register(Store)
class StoreAdmin(AuditedAdmin):
    list_display = ("name", "retailer", "code", "town", "postcode", "force", "active")
    list_filter = ("active", "force", "partnerships")
    search_fields = ("name", "code", "town", "postcode", "retailer__name")
    autocomplete_fields = ("retailer", "force")
    filter_horizontal = ("partnerships",)
    list_select_related = ("retailer", "force")


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0
    fields = ("organisation", "role", "store", "active", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("organisation", "store")


class ShopWatchUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class ShopWatchUserChangeForm(UserChangeForm):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):  # type: ignore[type-arg]
    add_form = ShopWatchUserCreationForm
    form = ShopWatchUserChangeForm
    list_display = ("email", "full_name", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "memberships__role")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "full_name", "password")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    filter_horizontal = ("groups", "user_permissions")
    inlines = (MembershipInline,)


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ("user", "role", "organisation", "store", "active", "created_at")
    list_filter = ("role", "active", "organisation__kind")
    search_fields = ("user__email", "user__full_name", "organisation__name", "store__name")
    autocomplete_fields = ("user", "organisation", "store")
    list_select_related = ("user", "organisation", "store")


@admin.action(description="Revoke the selected keys")
def revoke_keys(modeladmin: Any, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
    viewer = viewer_for(request.user)
    count = 0
    for key in queryset.filter(revoked_at__isnull=True):
        apikey_revoke(viewer=viewer, api_key=key)
        count += 1
    modeladmin.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Keys are made by their owners (the key service); here they can be looked at and revoked."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__email")
    readonly_fields = ("user", "name", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at")
    actions = (revoke_keys,)
    list_select_related = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The audit trail: anyone with access may read it; nobody may add, change or delete it."""

    list_display = ("at", "actor", "channel", "action", "object_type", "object_id", "summary")
    list_filter = ("action", "channel", "object_type")
    search_fields = ("summary", "object_id", "actor__email")
    date_hierarchy = "at"
    list_select_related = ("actor",)
    actions = None

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Scheduled jobs and their last slot (written by `shopwatch scheduler`); read-only here."""

    list_display = ("name", "slot_at", "last_enqueued_at", "last_result_id", "runs")
    actions = None

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in ScheduledRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
