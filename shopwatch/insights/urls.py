from django.urls import path

from . import views

app_name = "insights"
urlpatterns = [
    path("", views.index, name="index"),
    path("surveys/", views.surveys, name="surveys"),
    path("surveys/new/", views.survey_new, name="survey-new"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey-detail"),
    path("surveys/<int:pk>/send/", views.survey_send, name="survey-send"),
    path("surveys/<int:pk>/answer/", views.survey_answer, name="survey-answer"),
    path("questions/", views.questions, name="questions"),
    path("questions/<int:pk>/", views.question_update, name="question-update"),
    path("stores/<int:store_id>/prevention/", views.prevention_add, name="prevention-add"),
    path("<str:kind>/<str:key>/", views.dashboard, name="dashboard"),
    path("<str:kind>/<str:key>/export.<str:fmt>", views.dashboard_export, name="dashboard-export"),
]
