from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("estate/", views.estate, name="estate"),
    path("health/", views.platform_health, name="platform-health"),
    path("account/login/", views.SignInView.as_view(), name="login"),
    path("account/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/two-factor/", views.two_factor, name="two-factor"),
    path("account/api-keys/", views.api_keys, name="api-keys"),
    path("account/api-keys/<int:pk>/revoke/", views.api_key_revoke, name="api-key-revoke"),
    path("account/set-password/<uidb64>/<token>/", views.SetPasswordView.as_view(), name="set-password"),
    path("account/store-roles/", views.store_role_consents, name="store-role-consents"),
    path("partnerships/", views.partnership_index, name="partnership-index"),
    path("partnerships/<slug:slug>/", views.partnership_members, name="partnership-members"),
    path(
        "partnerships/<slug:slug>/members/add/", views.partnership_member_add, name="partnership-member-add"
    ),
    path(
        "partnerships/<slug:slug>/members/<int:pk>/deactivate/",
        views.partnership_member_deactivate,
        name="partnership-member-deactivate",
    ),
    path("partnerships/<slug:slug>/stores/", views.partnership_stores, name="partnership-stores"),
    path(
        "partnerships/<slug:slug>/stores/<int:pk>/remove/",
        views.partnership_store_remove,
        name="partnership-store-remove",
    ),
    path("partnerships/<slug:slug>/audit/", views.partnership_audit, name="partnership-audit"),
]
