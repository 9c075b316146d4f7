"""The REST API's routes, /api/v1/ (included from portal/urls.py), with its OpenAPI schema and
Swagger UI. Every address answers 404 while the business's licence lacks paid VIP support."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from core.api import LicencedApiMixin, NotFoundView
from subscriptions import api


class SchemaView(LicencedApiMixin, SpectacularAPIView):
    # Public like any API's documentation; what it documents still needs a key.
    authentication_classes: list = []
    permission_classes = [AllowAny]


class DocsView(LicencedApiMixin, SpectacularSwaggerSplitView):
    # The split view serves its start-up script as a file: the CSP allows no inline script.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    url_name = "api_schema"


urlpatterns = [
    path("usage/", api.UsageView.as_view(), name="api_usage"),
    path("usage/check/", api.UsageCheckView.as_view(), name="api_usage_check"),
    path("departments/", api.DepartmentListView.as_view(), name="api_departments"),
    path(
        "customers/<int:customer_id>/",
        api.CustomerBalanceView.as_view(),
        name="api_customer",
    ),
    path(
        "customers/by-number/<str:customer_number>/",
        api.CustomerByNumberView.as_view(),
        name="api_customer_by_number",
    ),
    path("schema/", SchemaView.as_view(), name="api_schema"),
    path("docs/", DocsView.as_view(), name="api_docs"),
    # Last: any other address is a problem 404 rather than the HTML page.
    re_path(r"", NotFoundView.as_view()),
]
