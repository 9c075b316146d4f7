"""The parties' identifiers are checked by python-stdnum and schwifty (check digits, not just
shapes), and a wrong one is a form error in the user's language, never a server error."""

import pytest
from django.core.exceptions import ValidationError

from core.validators import (
    validate_bic,
    validate_iban,
    validate_siren,
    validate_siret,
    validate_tax_id,
)
from tests.conftest import client_for
from tests.helpers import admin_form_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "validator,good,bad",
    [
        (validate_siren, ["303265045", "303 265 045"], ["303265046", "12345678", "ABCDEFGHI"]),
        (validate_siret, ["30326504500003", "303 265 045 00003"], ["30326504500004", "303265045"]),
        (
            validate_iban,
            ["DE89370400440532013000", "FR14 2004 1010 0505 0001 3M02 606"],
            ["DE89370400440532013001", "XX00123", "DE8937040044"],
        ),
        (validate_bic, ["COBADEFFXXX", "PSSTFRPP"], ["COBAXXFF", "COBADE", "12345678"]),
    ],
)
def test_each_identifier_passes_when_valid_and_is_refused_when_not(validator, good, bad):
    for value in good:
        validator(value)
    for value in bad:
        with pytest.raises(ValidationError):
            validator(value)


@pytest.mark.parametrize(
    "country,good,bad",
    [
        # Codice fiscale: a person's 16 characters, a company's 11 digits.
        ("IT", ["RCCMNL83S18D969H", "00743110157"], ["RCCMNL83S18D969X", "00743110158"]),
        # VKN (companies, 10 digits) and TCKN (persons, 11 digits).
        ("TR", ["1234567890", "17291716060"], ["1234567891", "17291716061", "12345"]),
        ("DE", ["18181508155", "181/815/08155"], ["1", "ABC"]),
    ],
)
def test_the_other_tax_number_is_checked_by_the_partys_country(country, good, bad):
    for value in good:
        validate_tax_id(value, country)
    for value in bad:
        with pytest.raises(ValidationError):
            validate_tax_id(value, country)


def test_the_other_tax_number_of_a_country_without_a_scheme_is_free_text():
    validate_tax_id("anything 123", "US")


class TestPortalContractForm:
    def post(self, world, language: str, **data):
        client = world.client(world.alice)
        client.cookies["django_language"] = language
        return client.post(
            "/contract/edit/", {"document_delivery": "link", "billing_country": "IT", **data}
        )

    def test_a_wrong_vat_number_is_a_form_error_in_french(self, world):
        response = self.post(world, "fr", vat_id="IT12345678901")
        assert response.status_code == 200
        assert "vat_id" in response.context["form"].errors
        content = response.content.decode()
        assert "n&#x27;est pas un numéro de TVA intracommunautaire valide" in content
        assert "is not a valid VAT number" not in content

    def test_a_wrong_codice_fiscale_is_a_form_error(self, world):
        response = self.post(world, "fr", tax_id="RCCMNL83S18D969X")
        assert response.status_code == 200
        assert response.context["form"].errors["tax_id"]
        world.alpha.refresh_from_db()
        assert world.alpha.tax_id == ""

    def test_a_customer_keeps_its_tax_numbers_and_buyer_reference(self, world):
        response = self.post(
            world,
            "en",
            vat_id="it 00743110157",
            tax_id="rccmnl83s18d969h",
            buyer_reference="04011000-12345-67",
        )
        assert response.status_code == 302
        world.alpha.refresh_from_db()
        assert (world.alpha.vat_id, world.alpha.tax_id, world.alpha.buyer_reference) == (
            "IT00743110157",
            "RCCMNL83S18D969H",
            "04011000-12345-67",
        )

    def test_a_vat_number_that_no_longer_fits_reverse_charge_is_a_form_error(self, world):
        world.acme.country = "DE"
        world.acme.save()
        world.alpha.vat_regime, world.alpha.vat_id = "reverse_charge", "FR40303265045"
        world.alpha.save()
        # A German number for a German business's customer: reverse charge no longer applies.
        response = self.post(world, "en", billing_country="DE", vat_id="DE136695976")
        assert response.status_code == 200
        assert response.context["form"].non_field_errors()


class TestTenantSettings:
    url = "/manage/core/tenant/{}/change/"

    @pytest.mark.parametrize(
        "field,value",
        [
            ("iban", "DE89370400440532013001"),
            ("bic", "COBAXXFF"),
            ("siren", "303265046"),
            ("siret", "30326504500004"),
            ("vat_id", "FR40303265046"),
            ("share_capital_currency", "EUX"),
        ],
    )
    def test_a_wrong_identifier_is_a_form_error(self, world, field, value):
        client = client_for(world.staff["acme", "owner"], world.acme)
        url = self.url.format(world.acme.pk)
        response = client.post(url, admin_form_data(client.get(url), logo=None, **{field: value}))
        assert response.status_code == 200
        assert field in response.context["adminform"].form.errors

    def test_a_wrong_vkn_is_a_form_error_for_a_turkish_business(self, world):
        client = client_for(world.staff["acme", "owner"], world.acme)
        url = self.url.format(world.acme.pk)
        response = client.post(
            url, admin_form_data(client.get(url), logo=None, country="TR", tax_id="1234567891")
        )
        assert response.status_code == 200
        assert "tax_id" in response.context["adminform"].form.errors

    def test_the_siret_must_extend_the_siren(self, world):
        client = client_for(world.staff["acme", "owner"], world.acme)
        url = self.url.format(world.acme.pk)
        data = admin_form_data(
            client.get(url), logo=None, siren="303265045", siret="73282932000074"
        )
        response = client.post(url, data)
        assert response.status_code == 200
        assert "siret" in response.context["adminform"].form.errors

    def test_the_structured_identity_is_saved_compact(self, world):
        client = client_for(world.staff["acme", "owner"], world.acme)
        url = self.url.format(world.acme.pk)
        data = admin_form_data(
            client.get(url),
            logo=None,
            country="fr",
            legal_form="SAS",
            siren="303 265 045",
            siret="303 265 045 00003",
            rcs_city="Paris",
            iban="FR14 2004 1010 0505 0001 3M02 606",
            bic="PSSTFRPPPAR",
            vat_id="fr 40 303265045",
            share_capital="50000",
        )
        response = client.post(url, data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        world.acme.refresh_from_db()
        assert (world.acme.siren, world.acme.siret) == ("303265045", "30326504500003")
        assert (world.acme.iban, world.acme.vat_id, world.acme.country) == (
            "FR1420041010050500013M02606",
            "FR40303265045",
            "FR",
        )
