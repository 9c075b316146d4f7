from django.urls import path

from subscriptions import views

urlpatterns = [
    # The subscription's page, its orders' pages: routed by billing (billing/urls.py), which
    # adds their invoices and payment state.
    path(
        "subscriptions/<int:subscription_id>/change/",
        views.subscription_change,
        name="subscription_change",
    ),
    path(
        "subscriptions/<int:subscription_id>/cancel/",
        views.subscription_cancel,
        name="subscription_cancel",
    ),
    path(
        "subscriptions/<int:subscription_id>/module-data/",
        views.subscription_module_data,
        name="subscription_module_data",
    ),
    path(
        "subscriptions/<int:subscription_id>/undo-change/",
        views.subscription_undo_change,
        name="subscription_undo_change",
    ),
    path(
        "subscriptions/<int:subscription_id>/undo-cancel/",
        views.subscription_undo_cancel,
        name="subscription_undo_cancel",
    ),
    path("catalogue/modules/<int:module_id>/image", views.module_image, name="module_image"),
]
