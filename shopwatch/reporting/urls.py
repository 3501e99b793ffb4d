from django.urls import path

from . import offline, picker_views, views

app_name = "reporting"
urlpatterns = [
    path("", views.incident_list, name="incident-list"),
    path("new/", views.incident_new, name="incident-new"),
    path("waiting/", offline.offline_waiting, name="offline-waiting"),
    path("pick/people/", picker_views.pick_people, name="pick-people"),
    path("pick/incidents/", picker_views.pick_incidents, name="pick-incidents"),
    path("export.csv", views.incident_export, name="incident-export"),
    path("<int:pk>/", views.incident_detail, name="incident-detail"),
    path("<int:pk>/submitted/", views.incident_submitted, name="incident-submitted"),
    path("<int:pk>/send-to-police/", views.incident_send_to_police, name="incident-send-to-police"),
]
