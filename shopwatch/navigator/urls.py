from django.urls import path

from . import views

app_name = "navigator"
urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("retention/", views.retention, name="retention"),
    path("outreach/", views.outreach, name="outreach"),
    path("refer/<int:person_id>/", views.refer_person, name="refer"),
    path("<int:pk>/", views.case_detail, name="case"),
    path("<int:pk>/subject-access.zip", views.subject_access, name="subject-access"),
]
