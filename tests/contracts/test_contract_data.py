"""Contract data: who may change which field, VAT regime rules, what the customer edits."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from contracts.models import Contact, Customer
from contracts.services import customer_update
from core.models import AuditEntry
from core.validators import validate_vat_id
from tests.conftest import client_for
from tests.factories import ContactFactory
from tests.helpers import admin_form_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "vat_id",
    [
        "DE136695976",
        "de 136 695 976",
        "FR40303265045",
        "IT00743110157",
        "ATU13585627",
        "NL004495445B01",
        "ESA12345674",
        "EL094259216",
        "IE6388047V",
        "CHE-116.281.710 MWST",
        "GB980780684",
    ],
)
def test_well_formed_vat_numbers_pass(vat_id):
    validate_vat_id(vat_id)


@pytest.mark.parametrize(
    "vat_id",
    [
        "DE12345678",
        "XX123456789",
        "FR123",
        "123456789",
        "ITABC",
        # The right shape, a wrong check digit: what stdnum catches and a pattern did not.
        "DE123456789",
        "IT12345678901",
        "NL123456789B01",
    ],
)
def test_malformed_vat_numbers_are_refused(vat_id):
    with pytest.raises(ValidationError):
        validate_vat_id(vat_id)


class TestWhoChangesWhat:
    @pytest.mark.parametrize(
        "field,value",
        [
            ("payment_terms_days", 30),
            ("is_test_account", True),
        ],
    )
    @pytest.mark.parametrize("role", ["support", "billing"])
    def test_manager_only_fields_are_refused_below_manager(self, world, field, value, role):
        with pytest.raises(PermissionDenied):
            customer_update(
                customer=world.alpha, actor=world.staff["acme", role], changes={field: value}
            )

    @pytest.mark.parametrize("role", ["manager", "owner"])
    def test_managers_set_payment_terms_and_test_accounts(self, world, role):
        customer = customer_update(
            customer=world.alpha,
            actor=world.staff["acme", role],
            changes={"payment_terms_days": 30, "is_test_account": True},
        )
        assert customer.effective_payment_terms_days == 30 and customer.is_test_account
        entry = AuditEntry.objects.get(action="customer.change")
        assert entry.before == {"payment_terms_days": None, "is_test_account": False}

    def test_without_own_terms_the_business_terms_apply(self, world):
        world.acme.payment_terms_days = 21
        world.acme.save()
        assert Customer.objects.get(pk=world.alpha.pk).effective_payment_terms_days == 21

    def test_the_contract_partner_must_be_one_of_the_customers_contacts(self, world):
        bob_contact = Contact.objects.get(user=world.bob)
        with pytest.raises(ValidationError):
            customer_update(
                customer=world.alpha,
                actor=world.staff["acme", "manager"],
                changes={"contract_partner": bob_contact},
            )
        alice_contact = Contact.objects.get(user=world.alice)
        customer = customer_update(
            customer=world.alpha,
            actor=world.staff["acme", "manager"],
            changes={"contract_partner": alice_contact},
        )
        assert customer.contract_partner == alice_contact

    def test_the_contract_partner_is_manager_only(self, world):
        with pytest.raises(PermissionDenied):
            customer_update(
                customer=world.alpha,
                actor=world.staff["acme", "billing"],
                changes={"contract_partner": Contact.objects.get(user=world.alice)},
            )

    def test_customers_edit_address_po_and_recipients_and_nothing_else(self, world):
        customer = customer_update(
            customer=world.alpha,
            actor=world.alice,
            as_contact=True,
            changes={
                "po_number": "PO-7",
                "invoice_recipients": ["ap@alpha.test"],
                "billing_city": "Lyon",
            },
        )
        assert customer.po_number == "PO-7" and customer.billing_city == "Lyon"
        for field, value in [
            ("payment_terms_days", 60),
            ("vat_regime", "out_of_scope"),
            ("is_test_account", True),
            ("name", "Hacked"),
        ]:
            with pytest.raises(PermissionDenied):
                customer_update(
                    customer=world.alpha, actor=world.alice, as_contact=True, changes={field: value}
                )

    def test_a_member_contact_may_not_edit_the_contract(self, world):
        member = ContactFactory(customer=world.alpha, role="member").user
        with pytest.raises(PermissionDenied):
            customer_update(
                customer=world.alpha, actor=member, as_contact=True, changes={"po_number": "X"}
            )

    def test_another_customers_contact_may_not_edit_it(self, world):
        with pytest.raises(PermissionDenied):
            customer_update(
                customer=world.alpha, actor=world.bob, as_contact=True, changes={"po_number": "X"}
            )


class TestVatRegime:
    def test_reverse_charge_needs_a_vat_number(self, world):
        with pytest.raises(ValidationError):
            customer_update(
                customer=world.alpha,
                actor=world.staff["acme", "billing"],
                changes={"vat_regime": "reverse_charge"},
            )
        customer = customer_update(
            customer=world.alpha,
            actor=world.staff["acme", "billing"],
            changes={"vat_regime": "reverse_charge", "vat_id": "fr 40 303265045"},
        )
        assert customer.vat_id == "FR40303265045"

    @pytest.mark.parametrize("vat_id", ["DE811907980", "CHE123456789MWST", "GB123456789"])
    def test_reverse_charge_is_only_for_customers_in_another_eu_country(self, world, vat_id):
        world.acme.country = "DE"
        world.acme.save()
        with pytest.raises(ValidationError):
            customer_update(
                customer=world.alpha,
                actor=world.staff["acme", "billing"],
                changes={"vat_regime": "reverse_charge", "vat_id": vat_id},
            )

    def test_the_database_refuses_reverse_charge_without_vat_number_too(self, world):
        with pytest.raises(IntegrityError):
            Customer.objects.filter(pk=world.alpha.pk).update(vat_regime="reverse_charge")


class TestBackOffice:
    def test_billing_staff_see_manager_fields_read_only_and_cannot_force_them(self, world):
        client = client_for(world.staff["acme", "billing"], world.acme)
        url = f"/manage/contracts/customer/{world.alpha.pk}/change/"
        page = client.get(url)
        form = page.context["adminform"].form
        assert "payment_terms_days" not in form.fields and "is_test_account" not in form.fields
        response = client.post(
            url,
            admin_form_data(page, payment_terms_days="90", is_test_account="on", po_number="PO-1"),
        )
        assert response.status_code == 302
        world.alpha.refresh_from_db()
        assert world.alpha.po_number == "PO-1"
        assert world.alpha.payment_terms_days is None and not world.alpha.is_test_account

    def test_managers_change_them_in_the_back_office(self, world):
        client = client_for(world.staff["acme", "manager"], world.acme)
        url = f"/manage/contracts/customer/{world.alpha.pk}/change/"
        page = client.get(url)
        assert "payment_terms_days" in page.context["adminform"].form.fields
        client.post(url, admin_form_data(page, payment_terms_days="45", is_test_account="on"))
        world.alpha.refresh_from_db()
        assert world.alpha.payment_terms_days == 45 and world.alpha.is_test_account

    def test_a_malformed_vat_number_is_a_form_error(self, world):
        client = client_for(world.staff["acme", "billing"], world.acme)
        url = f"/manage/contracts/customer/{world.alpha.pk}/change/"
        response = client.post(url, admin_form_data(client.get(url), vat_id="DE12"))
        assert response.status_code == 200
        assert "vat_id" in response.context["adminform"].form.errors


class TestPortal:
    def test_the_contract_page_shows_the_contract_data(self, world):
        customer_update(
            customer=world.alpha,
            actor=world.staff["acme", "manager"],
            changes={
                "payment_terms_days": 30,
                "po_number": "PO-42",
                "billing_street": "1 Main St",
                "vat_id": "DE136695976",
            },
        )
        content = world.client(world.alice).get("/contract/").content.decode()
        for text in ("30 days", "PO-42", "1 Main St", "DE136695976", "Standard VAT"):
            assert text in content

    def test_a_billing_contact_edits_billing_details(self, world):
        client = world.client(world.alice)
        assert client.get("/contract/edit/").status_code == 200
        response = client.post(
            "/contract/edit/",
            {
                "billing_company": "Alpha SARL",
                "billing_street": "2 rue X",
                "billing_street_2": "",
                "billing_postal_code": "69001",
                "billing_city": "Lyon",
                "billing_country": "fr",
                "po_number": "PO-9",
                "invoice_recipients": "ap@alpha.test\nCFO@alpha.test",
                "document_delivery": "link",
            },
        )
        assert response.status_code == 302
        world.alpha.refresh_from_db()
        assert world.alpha.billing_country == "FR"
        assert world.alpha.invoice_recipients == ["ap@alpha.test", "cfo@alpha.test"]
        assert world.alpha.document_delivery == "link"
        assert AuditEntry.objects.filter(action="customer.change", actor=world.alice).exists()

    def test_bad_input_is_a_form_error_in_the_customers_language(self, world):
        client = world.client(world.alice)
        client.cookies["django_language"] = "de"
        response = client.post(
            "/contract/edit/",
            {
                "billing_country": "Germany",
                "invoice_recipients": "not-an-address",
                "document_delivery": "link",
            },
        )
        assert response.status_code == 200
        content = response.content.decode()
        assert "Not an e-mail address" not in content  # translated
        assert "Keine E-Mail-Adresse" in content

    def test_members_may_look_but_not_edit(self, world):
        member = ContactFactory(customer=world.alpha, role="member").user
        client = world.client(member)
        assert client.get("/contract/").status_code == 200
        assert b"/contract/edit/" not in client.get("/contract/").content
        assert client.get("/contract/edit/").status_code == 403
        assert client.post("/contract/edit/", {"po_number": "X"}).status_code == 403
