from django.urls import include, path

from billing.collections import export_views
from billing.collections import views as collection_views
from billing.documents import views
from billing.payments import link_views, package_views
from billing.payments import views as payment_views
from billing.run import views as run_views

urlpatterns = [
    path("subscriptions/", views.subscription_list, name="subscriptions"),
    path("subscriptions/schedule/", run_views.schedule_page, name="billing_schedule"),
    path(
        "subscriptions/<int:subscription_id>/",
        views.subscription_detail,
        name="subscription_detail",
    ),
    path("orders/", views.order_list, name="orders"),
    path("orders/<int:order_id>/", views.order_detail, name="order_detail"),
    path("invoices/", views.invoice_list, name="invoices"),
    path("credits/", package_views.credit_overview, name="credits"),
    path("credits/packages/<int:package_id>/", package_views.package_buy, name="package_buy"),
    path("credits/auto-topup/", package_views.auto_topup_change, name="auto_topup"),
    path("invoices/recurring/", views.recurring_invoices, name="recurring_invoices"),
    path("invoices/statement/", collection_views.statement_page, name="statement"),
    path("invoices/statement/pdf", collection_views.statement_pdf, name="statement_pdf"),
    path("account/export/", export_views.export_page, name="account_export"),
    path("account/export/zip/", export_views.export_zip_start, name="account_export_zip"),
    path("account/export/<slug:kind>.csv", export_views.export_csv, name="account_export_csv"),
    path(
        "account/export/jobs/<int:job_id>/progress",
        export_views.export_progress,
        name="account_export_progress",
    ),
    path(
        "account/export/jobs/<int:job_id>/download",
        export_views.export_download,
        name="account_export_download",
    ),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:invoice_id>/pdf", views.invoice_pdf_download, name="invoice_pdf"),
    path("invoices/<int:invoice_id>/xml", views.invoice_xml_download, name="invoice_xml"),
    path(
        "invoices/<int:invoice_id>/xrechnung",
        views.invoice_xrechnung_download,
        name="invoice_xrechnung",
    ),
    path(
        "invoices/credit-notes/<int:note_id>/pdf",
        views.credit_note_pdf_download,
        name="credit_note_pdf",
    ),
    path(
        "invoices/credit-notes/<int:note_id>/xml",
        views.credit_note_xml_download,
        name="credit_note_xml",
    ),
    path(
        "invoices/credit-notes/<int:note_id>/xrechnung",
        views.credit_note_xrechnung_download,
        name="credit_note_xrechnung",
    ),
    path("invoices/<int:invoice_id>/pay/", payment_views.invoice_pay_page, name="invoice_pay"),
    path(
        "invoices/<int:invoice_id>/pay/<int:attempt_id>/confirmed/",
        payment_views.invoice_pay_confirmed,
        name="invoice_pay_confirmed",
    ),
    path("payments/", payment_views.payment_list, name="payments"),
    path(
        "payments/<int:payment_id>/receipt", payment_views.payment_receipt, name="payment_receipt"
    ),
    path("payment-methods/", payment_views.payment_methods, name="payment_methods"),
    path("payment-methods/add/", payment_views.payment_method_add, name="payment_method_add"),
    path(
        "payment-methods/<int:method_id>/default/",
        payment_views.payment_method_default,
        name="payment_method_default",
    ),
    path(
        "payment-methods/<int:method_id>/remove/",
        payment_views.payment_method_delete,
        name="payment_method_remove",
    ),
    # The bank's answer, posted back from the customer's browser (NestPay 3D Pay).
    path("pay/nestpay/ok/", payment_views.nestpay_ok, name="nestpay_ok"),
    path("pay/nestpay/fail/", payment_views.nestpay_fail, name="nestpay_fail"),
    path("stripe/webhook/<slug:tenant>/", payment_views.stripe_webhook, name="stripe_webhook"),
    path("l/invoice/<str:token>/", link_views.invoice_by_link, name="invoice_by_link"),
    path("l/invoice/<str:token>/pdf", link_views.invoice_by_link_pdf, name="invoice_by_link_pdf"),
    path(
        "l/credit-note/<str:token>/pdf",
        views.credit_note_by_link_pdf,
        name="credit_note_by_link_pdf",
    ),
    path("l/invoice/<str:token>/pay/", link_views.invoice_link_pay, name="invoice_link_pay"),
    path(
        "l/invoice/<str:token>/pay/<int:attempt_id>/confirmed/",
        link_views.invoice_link_pay_confirmed,
        name="invoice_link_pay_confirmed",
    ),
    path("", include("billing.ordering.link_urls")),
]
