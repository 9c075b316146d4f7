"""The portal's URLs plus a stand-in for the checkout's review page (`checkout_review`), which
lands separately: payment link tests check where they send the buyer without following it."""

from django.http import HttpResponse
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


def checkout_stand_in(request, tariff_id: int) -> HttpResponse:
    return HttpResponse("checkout")


urlpatterns = [
    path("checkout/<int:tariff_id>/", checkout_stand_in, name="checkout_review"),
    *portal_urlpatterns,
]
