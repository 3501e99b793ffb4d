from django.contrib import admin
from django.urls import include, path

from shopwatch.alerts.stream import alerts_stream
from shopwatch.api import api
from shopwatch.core import views as core_views
from shopwatch.reporting import offline as reporting_offline

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("sw.js", reporting_offline.service_worker, name="service-worker"),  # scope "/": every page
    path("", include("shopwatch.uploads.urls")),  # the tus endpoint /api/v1/uploads, before the API
    path("api/v1/alerts/stream", alerts_stream, name="alerts-stream"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("shopwatch.core.urls")),
    path("incidents/", include("shopwatch.reporting.urls")),
    path("people/", include("shopwatch.subjects.urls")),
    path("evidence/", include("shopwatch.evidence.urls")),
    path("police/", include("shopwatch.policing.urls")),
    path("insights/", include("shopwatch.insights.urls")),
    path("alerts/", include("shopwatch.alerts.urls")),
    path("intelligence/", include("shopwatch.intelligence.urls")),
    path("links/", include("shopwatch.linking.urls")),
    path("faces/", include("shopwatch.faces.urls")),
    path("navigator/", include("shopwatch.navigator.urls")),
    path("marking/", include("shopwatch.marking.urls")),
    path("assessments/", include("shopwatch.assessments.urls")),
]

handler400 = "shopwatch.core.errorpages.bad_request"
handler500 = "shopwatch.core.errorpages.server_error"
