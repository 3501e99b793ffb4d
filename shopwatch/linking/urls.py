from django.urls import path

from . import views

app_name = "linking"
urlpatterns = [
    path("", views.proposal_queue, name="queue"),
    path("overview/", views.overview, name="overview"),
    path("export.csv", views.proposal_export, name="export"),
    path("<int:pk>/", views.proposal_detail, name="proposal"),
    path("<int:pk>/decision", views.proposal_decide_view, name="decide"),
    path("offenders/", views.offenders, name="offenders"),
    path("vehicles/<str:registration>/", views.vehicle_detail, name="vehicle"),
    path("groups/", views.groups, name="groups"),
    path("groups/<slug:key>/", views.group_detail, name="group"),
    path("groups/<slug:key>/package", views.group_export, name="group-package"),
]
