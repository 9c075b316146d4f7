from django.contrib import admin
from django.urls import include, path

from core.views import healthz
from portal import language_views, views
from portal.navigation import SECTIONS

# Sections whose own app has not landed yet; each later issue replaces its entry here.
PENDING_SECTIONS: list[str] = []

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("contract/", views.contract, name="contract"),
    path("contract/close/", views.account_close, name="account_close"),
    path("", include("contracts.urls")),
    path("", include("subscriptions.urls")),
    path("", include("billing.urls")),
    path("", include("billing.ordering.urls")),
    path("", include("quotes.request_urls")),
    path("", include("quotes.urls")),
    path("branding/logo", views.tenant_logo, name="tenant_logo"),
    path("customer/<int:customer_id>/switch/", views.customer_switch, name="customer_switch"),
    *[
        path(s.path.lstrip("/"), views.section_pending, {"key": s.key}, name=s.key)
        for s in SECTIONS
        if s.key in PENDING_SECTIONS
    ],
    path("api/v1/", include("portal.api_urls")),
    path("healthz", healthz, name="healthz"),
    path("i18n/setlang/", language_views.set_language, name="set_language"),
    path("accounts/language/", language_views.language_preference, name="account_language"),
    path("accounts/", include("allauth.urls")),
    path("manage/", admin.site.urls),
]
