from django.urls import path

from quotes import link_views, views

urlpatterns = [
    path("quotes/", views.quote_list, name="quotes"),
    path("quotes/<int:quote_id>/", views.quote_detail, name="quote_detail"),
    path("quotes/<int:quote_id>/pdf", views.quote_pdf, name="quote_pdf"),
    path("quotes/<int:quote_id>/approve/", views.quote_approve_view, name="quote_approve"),
    path("quotes/<int:quote_id>/decline/", views.quote_decline_view, name="quote_decline"),
    path("l/quote/<str:token>/", link_views.quote_by_link, name="quote_by_link"),
    path("l/quote/<str:token>/pdf", link_views.quote_by_link_pdf, name="quote_by_link_pdf"),
    path("l/quote/<str:token>/approve/", link_views.quote_link_approve, name="quote_link_approve"),
    path("l/quote/<str:token>/decline/", link_views.quote_link_decline, name="quote_link_decline"),
]
