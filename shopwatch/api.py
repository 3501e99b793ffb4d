"""The ShopWatch API, version 1: one NinjaAPI that each app contributes a router to."""

from __future__ import annotations

from shopwatch.alerts.api import router as alerts_router
from shopwatch.assessments.api import router as assessments_router
from shopwatch.core.api import ApiKeyAuth, SessionAuth, StrictJSONParser, install_problem_handlers
from shopwatch.core.openapi import ShopWatchAPI
from shopwatch.core.routes import router as core_router
from shopwatch.evidence.api import router as evidence_router
from shopwatch.faces.api import router as faces_router
from shopwatch.linking.api import router as linking_router
from shopwatch.marking.api import router as marking_router
from shopwatch.navigator.api import router as navigator_router
from shopwatch.opendata.api import router as opendata_router
from shopwatch.policing.api import router as policing_router
from shopwatch.reporting.api import router as reporting_router
from shopwatch.subjects.api import router as subjects_router
from shopwatch.uploads.api import router as uploads_router

API_DESCRIPTION = """
ShopWatch's API for retailers' own incident systems ("One Touch Reporting") and partner systems.

Authenticate with `Authorization: Bearer <API key>`; a key acts with its user's entitlements.
Errors are `application/problem+json` documents with one entry per bad field in `errors`.
Lists answer `{"items": [...], "next": <URL or null>}`: follow `next` until it is null.
A record that is missing and a record you may not see both answer 404.
"""

api = ShopWatchAPI(
    title="ShopWatch API",
    version="1.0.0",
    description=API_DESCRIPTION,
    urls_namespace="api",
    auth=[ApiKeyAuth(), SessionAuth()],
    parser=StrictJSONParser(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_problem_handlers(api)
api.add_router("/", core_router)
api.add_router("/", reporting_router)
api.add_router("/", subjects_router)
api.add_router("/", opendata_router)
api.add_router("/", uploads_router)
api.add_router("/", evidence_router)
api.add_router("/", policing_router)
api.add_router("/", alerts_router)
api.add_router("/", linking_router)
api.add_router("/", faces_router)
api.add_router("/", navigator_router)
api.add_router("/", marking_router)
api.add_router("/", assessments_router)
