from django.urls import path

from . import views

app_name = "evidence"
urlpatterns = [
    path("<int:pk>/", views.evidence_detail, name="detail"),
    path("<int:pk>/content", views.evidence_content, name="content"),
    path("<int:pk>/download", views.evidence_download, name="download"),
    path("<int:pk>/thumb", views.evidence_thumb, name="thumb"),
    path("<int:pk>/links", views.evidence_link, name="link"),
    path("<int:pk>/links/<int:incident_id>/remove", views.evidence_unlink, name="unlink"),
    path("<int:pk>/persons", views.evidence_person_add, name="person-add"),
    path("<int:pk>/persons/<int:person_id>/remove", views.evidence_person_remove, name="person-remove"),
    path("<int:pk>/persons/<int:person_id>/photo", views.evidence_person_photo, name="person-photo"),
]
