"""Which language a page is in (core.middleware.TenantLocaleMiddleware): the person's saved
language, then the visitor's switcher choice (cookie), then the browser, then the business."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from core.models import AuditEntry
from tests.conftest import host_of
from tests.contracts.test_acting_as import acting_client

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def language_of(response) -> str:
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    start = html.index('<html lang="') + len('<html lang="')
    page = html[start : html.index('"', start)]
    assert response["Content-Language"] == page
    return page


def save(user, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


# --- the order -----------------------------------------------------------------------------------


def test_a_saved_language_comes_first_whatever_the_browser_and_the_cookie(world):
    save(world.alice, "de")
    client = world.client(world.alice)
    client.cookies[COOKIE] = "it"
    assert language_of(client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")) == "de"


def test_an_accept_language_header_does_not_override_a_saved_setting(world):
    save(world.charlie, "tr")  # globex writes French; charlie's browser asks for English
    client = world.client(world.charlie)
    assert language_of(client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")) == "tr"


def test_without_a_saved_language_the_switchers_choice_comes_next(world):
    client = world.client(world.alice)
    client.cookies[COOKIE] = "it"
    assert language_of(client.get("/", HTTP_ACCEPT_LANGUAGE="fr")) == "it"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-AT,de;q=0.9,en;q=0.5", "de"),  # a regional variant gives its language
        ("ja,fr;q=0.8,de;q=0.9", "de"),  # the first offered, by quality
        ("tr", "tr"),
    ],
)
def test_then_the_browsers_language(world, header, expected):
    client = world.client(world.alice)
    assert language_of(client.get("/", HTTP_ACCEPT_LANGUAGE=header)) == expected


@pytest.mark.parametrize("header", ["", "ja", "ja, *", "x" * 600, "!!garbage;;q=zz"])
def test_then_the_business_language_not_the_projects(world, header):
    # Globex writes French; Django's own lookup would answer English (LANGUAGE_CODE) here.
    client = world.client(world.charlie)
    assert language_of(client.get("/", HTTP_ACCEPT_LANGUAGE=header)) == "fr"


def test_an_anonymous_visitor_gets_the_business_language(world):
    client = Client(HTTP_HOST=host_of(world.globex))
    assert language_of(client.get("/accounts/login/")) == "fr"


def test_an_anonymous_visitors_browser_outranks_the_business(world):
    client = Client(HTTP_HOST=host_of(world.globex))
    assert language_of(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="it")) == "it"


def test_an_anonymous_visitors_choice_outranks_the_browser(world):
    client = Client(HTTP_HOST=host_of(world.globex))
    client.cookies[COOKIE] = "de"
    assert language_of(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="it")) == "de"


def test_an_unknown_host_answers_in_the_browsers_language(db):
    response = Client(HTTP_HOST="nobody.localhost").get("/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 404 and 'lang="de"' in response.content.decode()


# --- the switcher --------------------------------------------------------------------------------


def test_the_switcher_saves_a_logged_in_persons_choice_on_their_login(world):
    client = world.client(world.alice)
    response = client.post("/i18n/setlang/", {"language": "it", "next": "/invoices/"})
    assert response.status_code == 302 and response["Location"] == "/invoices/"
    world.alice.refresh_from_db()
    assert world.alice.language == "it"
    entry = AuditEntry.objects.get(tenant=world.acme, action="user.language_set")
    assert (entry.before, entry.after) == ({"language": ""}, {"language": "it"})
    # On another device, with another browser, the choice follows the person.
    elsewhere = world.client(world.alice)
    assert language_of(elsewhere.get("/", HTTP_ACCEPT_LANGUAGE="de")) == "it"


def test_the_switcher_keeps_an_anonymous_visitors_choice_in_the_cookie_only(world):
    client = Client(HTTP_HOST=host_of(world.acme))
    response = client.post("/i18n/setlang/", {"language": "tr", "next": "/accounts/login/"})
    assert response.status_code == 302 and response.cookies[COOKIE].value == "tr"
    assert language_of(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de")) == "tr"
    assert not AuditEntry.objects.filter(action="user.language_set").exists()


@pytest.mark.parametrize("junk", ["xx", "", "de\x00", "ja" * 300])
def test_the_switcher_ignores_a_language_not_offered(world, junk):
    save(world.alice, "de")
    client = world.client(world.alice)
    response = client.post("/i18n/setlang/", {"language": junk, "next": "/"})
    assert response.status_code in (302, 400)
    world.alice.refresh_from_db()
    assert world.alice.language == "de"


def test_a_get_of_the_switcher_changes_nothing(world):
    client = world.client(world.alice)
    assert client.get("/i18n/setlang/?language=fr").status_code in (302, 405)
    world.alice.refresh_from_db()
    assert world.alice.language == ""


# --- the language page ---------------------------------------------------------------------------


def test_the_language_page_shows_the_saved_choice_and_changes_it(world):
    save(world.alice, "de")
    client = world.client(world.alice)
    page = client.get("/accounts/language/")
    assert language_of(page) == "de"
    assert '<option value="de" selected>Deutsch</option>' in page.content.decode()
    response = client.post("/accounts/language/", {"language": "fr"})
    assert response.status_code == 302 and response["Location"] == "/accounts/language/"
    world.alice.refresh_from_db()
    assert world.alice.language == "fr"
    assert language_of(client.get(response["Location"])) == "fr"


def test_clearing_it_gives_the_choice_back_to_the_browser(world):
    save(world.alice, "de")
    client = world.client(world.alice)
    client.cookies[COOKIE] = "de"
    response = client.post("/accounts/language/", {"language": ""})
    assert response.status_code == 302 and response.cookies[COOKIE].value == ""  # deleted
    world.alice.refresh_from_db()
    assert world.alice.language == ""
    assert language_of(client.get("/", HTTP_ACCEPT_LANGUAGE="it")) == "it"


def test_the_language_page_refuses_a_language_not_offered_without_a_500(world):
    client = world.client(world.alice)
    response = client.post("/accounts/language/", {"language": "klingon"})
    assert response.status_code == 200 and 'class="errorlist"' in response.content.decode()
    world.alice.refresh_from_db()
    assert world.alice.language == ""


def test_the_language_page_needs_a_login(world):
    response = Client(HTTP_HOST=host_of(world.acme)).get("/accounts/language/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_user_menu_and_the_login_pages_link_it(world):
    html = world.client(world.alice).get("/accounts/password/change/").content.decode()
    assert html.count('href="/accounts/language/"') == 2  # the user menu and the side menu


# --- staff acting as a customer ------------------------------------------------------------------


def test_staff_acting_as_a_customer_keep_their_own_language(world):
    save(world.alice, "de")  # the customer's contact reads German
    save(world.staff["acme", "billing"], "it")
    client = acting_client(world, "billing")
    page = client.get("/")
    assert "acting-banner" in page.content.decode()
    assert language_of(page) == "it"


def test_staff_switching_language_while_acting_change_their_own_not_the_customers(world):
    save(world.alice, "de")
    client = acting_client(world, "billing")
    client.post("/i18n/setlang/", {"language": "tr", "next": "/"})
    world.alice.refresh_from_db()
    staff = world.staff["acme", "billing"]
    staff.refresh_from_db()
    assert (world.alice.language, staff.language) == ("de", "tr")
    assert language_of(client.get("/")) == "tr"
