from django.urls import path

from . import views, views_cases, views_store

app_name = "policing"
urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("workload/", views.workload, name="workload"),
    path("cases/", views.cases, name="cases"),
    path("team/", views.team, name="team"),
    path("incidents/<int:pk>/", views.incident, name="incident"),
    path("incidents/<int:pk>/decide/", views.decide, name="decide"),
    path("incidents/<int:pk>/assign/", views.assign, name="assign"),
    path("incidents/<int:pk>/attend/", views.attend, name="attend"),
    path("incidents/<int:pk>/crime-record/", views.crime_record, name="crime-record"),
    path("incidents/<int:pk>/outcome/", views.outcome, name="outcome"),
    path("incidents/<int:pk>/referral/", views.referral, name="referral"),
    path("incidents/<int:pk>/handoff.json", views.export, name="export"),
    path("handoff/settings/", views.handoff_settings, name="handoff-settings"),
    path("handoff/deliveries/", views.deliveries, name="deliveries"),
    path("handoff/deliveries/<int:pk>/replay/", views.delivery_replay_view, name="delivery-replay"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("notifications/", views.notifications, name="notifications"),
    path("incidents/<int:pk>/answer/", views_store.request_answer_view, name="request-answer"),
    path("stores/<int:store_id>/contact/", views_store.store_contact, name="store-contact"),
    path("incidents/<int:pk>/links/", views_cases.links, name="links"),
    path("links/<int:pk>/decide/", views_cases.suggestion_decide, name="suggestion-decide"),
    path("series/", views_cases.series_list, name="series-list"),
    path("series/link/", views_cases.series_link, name="series-link"),
    path("series/<int:pk>/", views_cases.series_detail, name="series"),
    path("case-files/", views_cases.casefile_list, name="casefile-list"),
    path("case-files/<int:pk>/", views_cases.casefile_detail, name="casefile"),
    path("case-files/<int:pk>/export.zip", views_cases.casefile_export, name="casefile-export"),
    path("case-files/<int:pk>/impact/", views_cases.impact_statement, name="impact"),
    path("case-files/<int:pk>/impact/request/", views_cases.impact_request, name="impact-request"),
    path("statements/<int:pk>/sign/", views_cases.statement_sign, name="statement-sign"),
]
