from django.urls import path

from contracts import link_views, views

urlpatterns = [
    path("contract/edit/", views.contract_edit, name="contract_edit"),
    path("legal/accept/", views.legal_accept, name="legal_accept"),
    path("legal/<int:document_id>/", views.legal_document, name="legal_document"),
    path("acting/end/", views.acting_end_view, name="acting_end"),
    path("l/portal/<str:token>/", link_views.portal_link, name="portal_link"),
    path(
        "accounts/login/link/",
        link_views.portal_link_request_page,
        name="portal_link_request",
    ),
]
