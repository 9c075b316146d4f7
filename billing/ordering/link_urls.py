"""Public addresses of payment links (the slug is the unguessable part)."""

from django.urls import path

from billing.ordering import link_views

urlpatterns = [
    path("buy/<slug:slug>/", link_views.payment_link, name="payment_link"),
    path("buy/<slug:slug>/image", link_views.payment_link_image, name="payment_link_image"),
]
