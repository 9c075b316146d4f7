from django.urls import path

from contracts import views

urlpatterns = [
    path("contract/edit/", views.contract_edit, name="contract_edit"),
    path("legal/accept/", views.legal_accept, name="legal_accept"),
    path("legal/<int:document_id>/", views.legal_document, name="legal_document"),
]
