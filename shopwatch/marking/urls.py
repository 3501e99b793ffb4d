from django.urls import path

from . import views

app_name = "marking"
urlpatterns = [
    path("", views.kits, name="kits"),
    path("lookup/", views.lookup, name="lookup"),
    path("kits/new/", views.kit_issue, name="kit-issue"),
    path("kits/<int:pk>/deployments/new/", views.deployment_new, name="deployment-new"),
    path("property/", views.property_new, name="property"),
    path("signage/", views.signage, name="signage"),
    path("signage/<int:store_id>/", views.signage_set, name="signage-set"),
]
