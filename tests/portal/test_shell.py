"""The portal shell: every section answers in every language; none 404s or 500s."""

import pytest
from django.conf import settings

from portal.navigation import SECTIONS
from tests.conftest import client_for
from tests.factories import ContactFactory, CustomerFactory
from tests.helpers import assert_hidden_from_outsiders, assert_max_queries

pytestmark = pytest.mark.django_db
LANGUAGES = [code for code, _ in settings.LANGUAGES]

# How each section's title reads, per language (the catalogues must agree with GLOSSARY.md).
TITLES = {
    "dashboard": {
        "en": "Dashboard",
        "fr": "Tableau de bord",
        "de": "Übersicht",
        "it": "Pannello",
        "tr": "Genel bakış",
    },
    "invoices": {
        "en": "Invoices",
        "fr": "Factures",
        "de": "Rechnungen",
        "it": "Fatture",
        "tr": "Faturalar",
    },
    "quotes": {
        "en": "Quotes",
        "fr": "Devis",
        "de": "Angebote",
        "it": "Preventivi",
        "tr": "Teklifler",
    },
    "contract": {
        "en": "Contract",
        "fr": "Contrat",
        "de": "Vertrag",
        "it": "Contratto",
        "tr": "Sözleşme",
    },
}


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: s.key)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_section_answers_in_every_language(world, section, language):
    client = world.client(world.alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(section.path)
    assert response.status_code == 200
    assert response["Content-Language"] == language
    expected = TITLES.get(section.key, {}).get(language)
    if expected:
        assert f"<h1>{expected}".encode() in response.content or (
            f"<title>{expected}".encode() in response.content
        )


def test_the_quotes_section_has_landed_and_is_no_longer_pending(world):
    # Quotes was the last section served by views.section_pending (portal/urls.py).
    response = world.client(world.alice).get("/quotes/")
    assert b"Not available in this portal yet" not in response.content
    assert b"Awaiting approval" in response.content


def test_anonymous_visitors_are_sent_to_login(world):
    for section in SECTIONS:
        response = world.client(None).get(section.path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_staff_without_a_customer_account_are_pointed_to_the_back_office(world):
    response = client_for(world.staff["acme", "support"], world.acme).get("/")
    assert response.status_code == 403
    assert b'href="/manage/"' in response.content


def test_the_dashboard_shows_the_customer_and_the_contacts_role(world):
    response = world.client(world.alice).get("/")
    assert b"Alpha Corp" in response.content and b"A-1" in response.content
    assert b"Account owner" in response.content
    assert b"Bravo Corp" not in response.content


def test_the_contract_page_lists_only_the_customers_own_contacts(world):
    ContactFactory(customer=world.alpha, user__email="second@alpha.test", role="member")
    response = world.client(world.alice).get("/contract/")
    assert b"second@alpha.test" in response.content
    assert b"bob@example.test" not in response.content


def test_the_tenants_branding_is_applied(world):
    acme = world.client(world.alice).get("/")
    globex = world.client(world.charlie).get("/")
    assert b"--brand: #d1242f" in acme.content
    assert b"--brand: #0a7d55" in globex.content


def test_switching_the_language_sets_the_cookie_and_returns(world):
    client = world.client(world.alice)
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/contract/"})
    assert response.status_code == 302 and response["Location"] == "/contract/"
    assert b"Vertrag" in client.get("/contract/").content


class TestSeveralCustomers:
    def test_a_person_may_act_for_each_of_their_customers_in_turn(self, world):
        ContactFactory(customer=world.bravo, user=world.alice, role="member")
        client = world.client(world.alice)
        assert b"customer-select" in client.get("/").content
        response = client.post(f"/customer/{world.bravo.pk}/switch/", {"next": "/contract/"})
        assert response["Location"] == "/contract/"
        assert b"Bravo Corp" in client.get("/").content

    def test_switching_to_a_customer_one_is_not_a_contact_of_is_a_404(self, world):
        assert_hidden_from_outsiders(
            world, f"/customer/{world.alpha.pk}/switch/", method="post", data={"next": "/"}
        )

    @pytest.mark.parametrize(
        "target", ["https://evil.test/", "//evil.example", "foo", "dashboard", "contract"]
    )
    def test_an_unsafe_next_url_is_ignored(self, world, target):
        response = world.client(world.alice).post(
            f"/customer/{world.alpha.pk}/switch/", {"next": target}
        )
        assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.usefixtures("no_page_cache")
def test_the_dashboard_costs_a_constant_number_of_queries(world):
    client = world.client(world.alice)
    client.get("/")  # warm the session
    # 5 for the shell (business, person, contacts, role, legal documents), then one per block
    # of the dashboard (tests/portal/test_dashboard.py grows each of them).
    with assert_max_queries(14) as few:
        client.get("/")
    for _n in range(10):
        ContactFactory(customer=CustomerFactory(tenant=world.acme), user=world.alice)
    with assert_max_queries(len(few.captured_queries)):
        client.get("/")


def test_a_tenants_logo_is_served_on_its_own_host_only(world):
    from django.core.files.base import ContentFile

    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
        b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
        b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    world.acme.logo.save("logo.png", ContentFile(png))
    page = world.client(None).get("/accounts/login/")
    assert b'src="/branding/logo?v=' in page.content
    response = world.client(None).get("/branding/logo")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png
    assert world.client(None, world.globex).get("/branding/logo").status_code == 404
