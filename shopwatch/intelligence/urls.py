from django.urls import path

from . import views

app_name = "intelligence"
urlpatterns = [
    path("", views.intelligence_home, name="home"),
    path("grading/", views.grading, name="grading"),
    path("grading/<int:pk>/", views.grade, name="grade"),
    path("galleries/", views.galleries, name="galleries"),
    path("galleries/<slug:slug>/", views.gallery, name="gallery"),
    path("galleries/<slug:slug>/print.pdf", views.gallery_print, name="gallery-print"),
    path("galleries/<slug:slug>/add/", views.gallery_add, name="gallery-add"),
    path("galleries/<slug:slug>/merge/", views.person_merge, name="person-merge"),
    path("gallery-entries/<int:pk>/", views.gallery_entry, name="gallery-entry"),
    path("photos/<int:pk>/", views.person_photo, name="person-photo"),
    path("photos/<int:pk>/thumbnail.jpg", views.person_photo_thumbnail, name="person-photo-thumbnail"),
    path("partnerships/<slug:slug>/exclusions/", views.exclusions, name="exclusions"),
    path("exclusions/<int:pk>/", views.exclusion, name="exclusion"),
    path("exclusions/<int:pk>/notice.pdf", views.exclusion_pdf, name="exclusion-pdf"),
    path("warnings/<int:pk>/letter.pdf", views.warning_pdf, name="warning-pdf"),
    path("partnerships/<slug:slug>/data-protection/", views.data_protection, name="data-protection"),
    path("people/<int:pk>/subject-access.zip", views.subject_access, name="subject-access"),
    path("people/<int:pk>/erase/", views.erase, name="erase"),
    path("people/<int:pk>/rectify/", views.rectify, name="rectify"),
]
