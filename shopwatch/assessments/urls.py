from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path("", views.index, name="index"),
    path("take/<int:pk>/", views.take, name="take"),
    path("<int:pk>/", views.result, name="result"),
    path("<int:pk>/certificate.pdf", views.certificate, name="certificate"),
    path("programmes/", views.programmes, name="programmes"),
    path("programmes/new/", views.programme_new, name="programme-new"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme"),
    path("enrolments/<int:pk>/attendance/", views.attendance, name="attendance"),
]
