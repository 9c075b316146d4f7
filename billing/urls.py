from django.urls import path

from billing import views

urlpatterns = [
    path("invoices/", views.invoice_list, name="invoices"),
    path("credits/", views.credit_overview, name="credits"),
    path("invoices/recurring/", views.recurring_invoices, name="recurring_invoices"),
    path("invoices/statement/", views.statement_page, name="statement"),
    path("invoices/statement/pdf", views.statement_pdf, name="statement_pdf"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:invoice_id>/pdf", views.invoice_pdf_download, name="invoice_pdf"),
    path(
        "invoices/credit-notes/<int:note_id>/pdf",
        views.credit_note_pdf_download,
        name="credit_note_pdf",
    ),
    path("l/invoice/<str:token>/", views.invoice_by_link, name="invoice_by_link"),
    path("l/invoice/<str:token>/pdf", views.invoice_by_link_pdf, name="invoice_by_link_pdf"),
]
