from django.urls import path

from . import views

app_name = "subjects"
urlpatterns = [
    path("", views.person_list, name="person-list"),
    path("export.csv", views.person_export, name="person-export"),
    path("<int:pk>/", views.person_detail, name="person-detail"),
]
