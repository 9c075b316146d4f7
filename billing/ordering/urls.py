from django.urls import path

from billing.ordering import views

urlpatterns = [
    path("order/", views.catalogue_page, name="order"),
    path("order/tariffs/<int:tariff_id>/", views.checkout_review_page, name="checkout_review"),
    path("order/checkouts/<uuid:key>/", views.checkout_detail, name="checkout_detail"),
    path(
        "order/checkouts/<uuid:key>/confirmed/",
        views.checkout_confirmed,
        name="checkout_confirmed",
    ),
]
