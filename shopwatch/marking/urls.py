from django.urls import path

from . import views

app_name = "marking"
urlpatterns = [path("", views.kits, name="kits")]
