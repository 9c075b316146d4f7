"""`next` parameters: only a path on this site is followed; anything else is the default."""

import pytest
from django.test import RequestFactory

from core.redirects import safe_next

UNSAFE = [
    "foo",  # a bare word: redirect() would look it up as a view name, and fail
    "dashboard",  # ...or find one
    "https://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "http://acme.localhost/invoices/",  # this host, but not a path
    "javascript:alert(1)",
    "",
]


@pytest.mark.parametrize("target", UNSAFE)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anything_but_a_path_on_this_site_falls_back_to_the_default(target, method):
    request = getattr(RequestFactory(), method)("/x/", {"next": target}, HTTP_HOST="acme.localhost")
    assert safe_next(request, "/default/") == "/default/"


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_path_on_this_site_is_followed(method):
    request = getattr(RequestFactory(), method)(
        "/x/", {"next": "/invoices/?page=2"}, HTTP_HOST="acme.localhost"
    )
    assert safe_next(request, "/default/") == "/invoices/?page=2"
