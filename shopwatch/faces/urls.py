from django.urls import path

from . import views

app_name = "faces"
urlpatterns = [
    path("", views.index, name="index"),
    path("searches/<int:pk>/", views.search_detail, name="search"),
    path("searches/<int:pk>/decide/", views.decide, name="decide"),
    path("searches/<int:pk>/link/", views.link_match, name="link-match"),
    path("searches/<int:pk>/probe/<int:candidate>.jpg", views.probe_face, name="probe-face"),
    path("searches/<int:pk>/candidates/<int:candidate>.jpg", views.candidate_face, name="candidate-face"),
    path("processing/<slug:slug>/", views.processing, name="processing"),
    path("people/<int:person_id>/vulnerable/", views.flag_vulnerable, name="flag-vulnerable"),
]
