import pytest
from django.test import Client

from core.models import Domain
from core.tenancy import tenant_for_host
from tests.factories import TenantFactory


@pytest.mark.django_db
class TestHostResolution:
    def test_it_finds_the_tenant_by_subdomain_of_the_base_domain(self):
        acme = TenantFactory(slug="acme")
        assert tenant_for_host("acme.localhost") == acme
        assert tenant_for_host("ACME.localhost:8000") == acme

    def test_it_finds_the_tenant_by_custom_domain(self):
        acme = TenantFactory(slug="acme")
        Domain.objects.create(tenant=acme, host="billing.acme.example")
        assert tenant_for_host("Billing.Acme.Example:443") == acme

    @pytest.mark.parametrize(
        "host",
        [
            "nobody.localhost",
            "localhost",
            "a.b.localhost",
            "acme.localhost.evil.test",
            "evil.test",
        ],
    )
    def test_it_returns_none_for_unknown_hosts(self, host):
        TenantFactory(slug="acme")
        assert tenant_for_host(host) is None

    def test_an_inactive_tenant_is_not_served(self):
        TenantFactory(slug="acme", is_active=False)
        assert tenant_for_host("acme.localhost") is None


@pytest.mark.django_db
class TestUnknownHostPage:
    def test_it_answers_a_plain_404_page_not_a_500(self):
        response = Client(HTTP_HOST="nobody.localhost").get("/")
        assert response.status_code == 404
        assert b"Page not found" in response.content

    def test_the_404_page_speaks_the_visitors_language(self):
        response = Client(HTTP_HOST="nobody.localhost", HTTP_ACCEPT_LANGUAGE="de").get("/")
        assert response.status_code == 404
        assert b"Seite nicht gefunden" in response.content

    def test_the_platform_host_serves_only_the_back_office_and_health(self):
        client = Client(HTTP_HOST="localhost")
        assert client.get("/").status_code == 404
        assert client.get("/manage/").status_code == 302  # to the login page
        assert client.get("/healthz").status_code == 200

    def test_a_known_tenant_host_is_served_in_its_branding(self):
        TenantFactory(slug="acme", name="Acme", primary_colour="#d1242f")
        response = Client(HTTP_HOST="acme.localhost").get("/accounts/login/")
        assert response.status_code == 200
        assert b"--brand: #d1242f" in response.content
        assert b"Acme" in response.content

    def test_the_tenant_language_is_the_fallback_when_the_browser_says_nothing(self):
        TenantFactory(slug="globex", locale="fr")
        response = Client(HTTP_HOST="globex.localhost").get("/accounts/login/")
        assert response["Content-Language"] == "fr"


@pytest.mark.parametrize(
    "pattern,valid",
    [
        ("INV-{year}-{number:06d}", True),
        ("{number}", True),
        ("INV-{year}", False),  # no number: every invoice would get the same one
        ("INV-{yaer}-{number}", False),
        ("INV-{number:06q}", False),
        ("INV-{0}", False),
        ("INV-{number[0]}", False),
        ("INV-{number.real}", False),
        ("INV-{number.__class__}", False),
        ("INV-{number!r}", True),
        ("INV-{", False),
        ("CN-{year}-{number:06d}", True),
        ("{number:065d}", False),  # one character more than the column holds
        ("{number:064d}", True),
        ("{number:070d}", False),
        ("{year:>60}-{number}", False),
        ("INV-{year}-{number:,}", True),
        ("{number:{number}d}", False),  # a width taken from the number itself: gigabytes
        ("{number:.1000000000f}", False),
        ("INV-{number:c}", False),  # a character, not a number: overflowed past 0x10FFFF (a 500)
        ("INV-{number:x}", False),
        ("INV-{number!a}", False),
    ],
)
def test_invoice_number_formats_are_checked(pattern, valid):
    from django.core.exceptions import ValidationError

    from core.validators import validate_number_format

    if valid:
        validate_number_format(pattern)
    else:
        with pytest.raises(ValidationError):
            validate_number_format(pattern)


def test_a_business_cannot_save_a_number_format_longer_than_a_document_number(world):
    from django.core.exceptions import ValidationError

    world.acme.invoice_number_format = "{number:070d}"
    world.acme.credit_note_number_format = "CN-{year}-{number:06d}"
    with pytest.raises(ValidationError) as refused:
        world.acme.full_clean()
    assert set(refused.value.message_dict) == {"invoice_number_format"}


@pytest.mark.parametrize(
    ("invoices", "credit_notes", "may_collide"),
    [
        ("INV-{year}-{number:06d}", "CN-{year}-{number:06d}", False),
        ("INV-{year}-{number:06d}", "INV-{year}-{number:06d}", True),
        ("{number}", "{year}{number}", True),  # 2026 then 7 reads like invoice 20267
        ("{year}-{number}", "{number}", False),
        ("R{number}", "R{year}-{number}", False),
        ("R{number}", "R{year}{number}", True),
        ("{number:06d}", "{number:6}", True),  # from 100000 on, both print six digits
        ("INV{number}", "INV-{number}", False),
        ("{year}/{number:04d}", "{year}/C{number:04d}", False),
        ("INV-{number:,}", "INV-{number}", True),
    ],
)
def test_credit_note_and_invoice_formats_are_checked_against_each_other(
    invoices, credit_notes, may_collide
):
    from core.validators import number_formats_may_collide

    assert number_formats_may_collide(invoices, credit_notes) is may_collide
    assert number_formats_may_collide(credit_notes, invoices) is may_collide


def test_a_business_cannot_give_credit_notes_numbers_an_invoice_could_have(world):
    from django.core.exceptions import ValidationError

    # Credit note 600005 of 2026 would read 2026600005, as invoice 600005 of 2026 does.
    world.acme.invoice_number_format = "{year}{number:05d}"
    world.acme.credit_note_number_format = "{year}{number}"
    with pytest.raises(ValidationError) as refused:
        world.acme.full_clean()
    assert set(refused.value.message_dict) == {"credit_note_number_format"}
    assert "could equal an invoice number" in str(refused.value)
    world.acme.credit_note_number_format = "GS-{year}-{number:05d}"
    world.acme.full_clean()
