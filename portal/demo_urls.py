"""The bare host's URLs in demo mode (KONTOR_DEMO_URLCONF): the demo's home page and outbox,
then every other URL, so that pages rendered here can still name them."""

from django.urls import include, path

from portal import demo_views

urlpatterns = [
    path("", demo_views.home, name="demo_home"),
    path("demo/portal-link/", demo_views.portal_link, name="demo_portal_link"),
    path("outbox/", demo_views.outbox, name="outbox"),
    path("outbox/<str:name>/", demo_views.outbox_detail, name="outbox_message"),
    path("outbox/<str:name>/html/", demo_views.outbox_html, name="outbox_html"),
    path(
        "outbox/<str:name>/attachments/<int:number>/",
        demo_views.outbox_download,
        name="outbox_attachment",
    ),
    path("", include("portal.urls")),
]
