"""Mounted at the site root, before the API, so /api/v1/uploads is this app's tus endpoint."""

from django.urls import path

from . import tus, views

app_name = "uploads"
urlpatterns = [
    path("api/v1/uploads", tus.upload_collection, name="tus"),
    path("api/v1/uploads/<str:upload_id>", tus.upload_resource, name="tus-upload"),
    path("u/<str:token>/", views.link_upload, name="link-upload"),
    path("uploads/incidents/<int:incident_id>/", views.incident_upload, name="incident-upload"),
    path("uploads/incidents/<int:incident_id>/link/", views.link_create, name="link-create"),
]
