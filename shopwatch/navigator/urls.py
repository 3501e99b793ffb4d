from django.urls import path

from . import views

app_name = "navigator"
urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("<int:pk>/", views.case_detail, name="case"),
]
