from django.urls import path

from quotes import request_views

urlpatterns = [
    path("quotes/request/", request_views.quote_request_new, name="quote_request_new"),
    path("quotes/requests/", request_views.quote_request_list, name="quote_requests"),
    path(
        "quotes/requests/<int:request_id>/",
        request_views.quote_request_detail,
        name="quote_request_detail",
    ),
]
