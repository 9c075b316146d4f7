"""Licence modules in the back office: the models of a module the business lacks are missing
from the index and menus and every address of theirs is a 404; the platform operator alone sets
a business's modules (audited), its staff — Owner too — only read them."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.test import Client

from billing.documents.credit_notes import credit_note_issue
from contracts.admin import ContactInline
from contracts.models import Customer
from core.admin import TenantLicenceForm
from core.licence import LicenceModule
from core.models import AuditEntry, Tenant
from core.roles import SYSTEM
from core.services import tenant_licence_change
from subscriptions.models import Department, Package
from tests.billing.test_payment_links import make_link
from tests.billing.test_xrechnung import issued
from tests.conftest import client_for
from tests.core.test_licence import licence_set, licence_without
from tests.factories import PackageFactory, UserFactory
from tests.helpers import admin_form_data
from tests.quotes.helpers import sent_quote

pytestmark = pytest.mark.django_db

# The back-office models of each module, as /manage/<app>/<model>/.
MODELS = [
    (LicenceModule.VIP_SUPPORT, "subscriptions/package"),
    (LicenceModule.VIP_SUPPORT, "subscriptions/department"),
    (LicenceModule.VIP_SUPPORT, "subscriptions/creditledgerentry"),
    (LicenceModule.QUOTES, "quotes/quote"),
    (LicenceModule.QUOTES, "quotes/quoterequest"),
    (LicenceModule.ORDERING, "billing/paymentlink"),
    (LicenceModule.ORDERING, "subscriptions/discountcode"),
]
MODEL_IDS = [name for _module, name in MODELS]


def owner(world):
    return client_for(world.staff["acme", "owner"], world.acme)


def operator_client(tenant):
    return client_for(UserFactory(is_superuser=True), tenant)


@pytest.mark.parametrize(("module", "model"), MODELS, ids=MODEL_IDS)
def test_an_off_modules_models_leave_the_index_and_their_lists_and_forms_are_404s(
    world, module, model
):
    client = owner(world)
    assert client.get(f"/manage/{model}/").status_code == 200
    assert f'href="/manage/{model}/"' in client.get("/manage/").content.decode()
    licence_without(world.acme, module)
    index = client.get("/manage/").content.decode()
    assert f"/manage/{model}/" not in index
    app_page = client.get(f"/manage/{model.split('/')[0]}/")
    assert f"/manage/{model}/" not in app_page.content.decode()
    for path in (f"/manage/{model}/", f"/manage/{model}/add/"):
        assert client.get(path).status_code == 404, path
    # The operator, on the business's host, sees its back office as its staff do.
    assert operator_client(world.acme).get(f"/manage/{model}/").status_code == 404


def test_every_address_of_an_off_modules_row_is_a_404(world):
    package = PackageFactory(tenant=world.acme)
    quote = sent_quote(world.alpha)
    link = make_link(world.acme)
    rows = {
        LicenceModule.VIP_SUPPORT: f"/manage/subscriptions/package/{package.pk}",
        LicenceModule.QUOTES: f"/manage/quotes/quote/{quote.pk}",
        LicenceModule.ORDERING: f"/manage/billing/paymentlink/{link.pk}",
    }
    client = owner(world)
    for module, base in rows.items():
        pages = [f"{base}/change/", f"{base}/history/", f"{base}/delete/", f"{base}/"]
        assert client.get(f"{base}/change/").status_code == 200
        licence_without(world.acme, module)
        for path in pages:
            assert client.get(path).status_code == 404, path
        assert client.post(f"{base}/delete/", {"post": "yes"}).status_code == 404
        licence_set(world.acme, *LicenceModule)
    # Custom addresses a model admin adds (the quote's PDF, its actions) go too.
    assert client.get(f"/manage/quotes/quote/{quote.pk}/pdf/").status_code == 200
    licence_without(world.acme, LicenceModule.QUOTES)
    assert client.get(f"/manage/quotes/quote/{quote.pk}/pdf/").status_code == 404
    assert client.post(f"/manage/quotes/quote/{quote.pk}/withdraw/").status_code == 404
    assert Package.objects.filter(pk=package.pk).exists()  # the data stays


def test_autocomplete_from_or_into_an_off_module_is_a_404(world):
    client = owner(world)
    path = (
        "/manage/autocomplete/?app_label=subscriptions&model_name=creditledgerentry"
        "&field_name=customer&term=Al"
    )
    assert client.get(path).status_code == 200
    licence_without(world.acme, LicenceModule.VIP_SUPPORT)
    assert client.get(path).status_code == 404
    # A form outside the module still looks customers up.
    invoices = "/manage/autocomplete/?app_label=billing&model_name=invoice&field_name=customer"
    assert client.get(invoices).status_code == 200


def test_an_inline_of_an_off_module_leaves_the_customer_page(world, monkeypatch):
    monkeypatch.setattr(ContactInline, "licence_module", LicenceModule.VIP_SUPPORT)
    client = owner(world)
    path = f"/manage/contracts/customer/{world.alpha.pk}/change/"
    assert 'id="contacts-group"' in client.get(path).content.decode()
    licence_without(world.acme, LicenceModule.VIP_SUPPORT)
    page = client.get(path)
    assert page.status_code == 200
    assert 'id="contacts-group"' not in page.content.decode()


def test_without_e_invoicing_the_back_office_offers_the_pdf_alone(world):
    invoice = issued(world)
    note = credit_note_issue(invoice=invoice, actor=SYSTEM, today=date(2026, 3, 20), reason="x")
    client = owner(world)
    licence_without(world.acme, LicenceModule.EINVOICING)
    for base in (
        f"/manage/billing/invoice/{invoice.pk}",
        f"/manage/billing/creditnote/{note.pk}",
    ):
        page = client.get(f"{base}/change/").content.decode()
        assert f'href="{base}/pdf/"' in page
        assert "/xml/" not in page and "/xrechnung/" not in page
        assert client.get(f"{base}/pdf/").status_code == 200
        assert client.get(f"{base}/xml/").status_code == 404
        assert client.get(f"{base}/xrechnung/").status_code == 404


def test_without_e_invoicing_the_customers_e_invoice_format_is_hidden_and_kept(world):
    Customer.objects.filter(pk=world.alpha.pk).update(
        einvoice_format="xrechnung",
        buyer_reference="991-12345-67",
        billing_postal_code="10178",
        billing_city="Berlin",
    )
    client = owner(world)
    path = f"/manage/contracts/customer/{world.alpha.pk}/change/"
    assert 'name="einvoice_format"' in client.get(path).content.decode()
    licence_without(world.acme, LicenceModule.EINVOICING)
    page = client.get(path)
    assert 'name="einvoice_format"' not in page.content.decode()
    assert client.post(path, admin_form_data(page)).status_code == 302
    world.alpha.refresh_from_db()
    assert world.alpha.einvoice_format == "xrechnung"


def test_without_quotes_an_invoice_page_names_no_quote(world):
    invoice = issued(world)
    client = owner(world)
    path = f"/manage/billing/invoice/{invoice.pk}/change/"
    assert "From quote" in client.get(path).content.decode()
    licence_without(world.acme, LicenceModule.QUOTES)
    assert "From quote" not in client.get(path).content.decode()


# --- who sets the licence ----------------------------------------------------------------------


def tenant_page(world) -> str:
    return f"/manage/core/tenant/{world.acme.pk}/change/"


def test_the_operator_sets_a_businesss_modules_with_checkboxes_audited(world):
    client = operator_client(world.acme)
    page = client.get(tenant_page(world))
    assert 'type="checkbox" name="licence_modules" value="vip_support"' in page.content.decode()
    data = admin_form_data(page, licence_modules=["quotes", "einvoicing"], logo=None)
    assert client.post(tenant_page(world), data).status_code == 302
    world.acme.refresh_from_db()
    assert world.acme.licence_modules == ["quotes", "einvoicing"]
    entry = AuditEntry.objects.get(action="tenant.licence_change")
    assert entry.tenant == world.acme
    assert entry.before == {"licence_modules": [m.value for m in LicenceModule]}
    assert entry.after == {"licence_modules": ["quotes", "einvoicing"]}
    # Effective at once: buying a package is gone.
    package = PackageFactory(tenant=world.acme)
    assert world.client(world.alice).get(f"/credits/packages/{package.pk}/").status_code == 404


def test_the_operators_form_refuses_unknown_modules(world):
    client = operator_client(world.acme)
    page = client.get(tenant_page(world))
    response = client.post(
        tenant_page(world), admin_form_data(page, licence_modules=["quotes", "bogus"], logo=None)
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["licence_modules"]
    world.acme.refresh_from_db()
    assert world.acme.licence_modules == [m.value for m in LicenceModule]
    form = TenantLicenceForm(instance=world.acme, data={"licence_modules": ["x"]})
    assert not form.is_valid() and "licence_modules" in form.errors


@pytest.mark.parametrize("role", ["support", "owner"])
def test_staff_read_their_licence_and_even_the_owner_cannot_change_it(world, role):
    licence_set(world.acme, LicenceModule.VIP_SUPPORT)
    client = client_for(world.staff["acme", role], world.acme)
    page = client.get(tenant_page(world))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'name="licence_modules"' not in body
    assert "Paid VIP support (packages and credits)" in body
    assert "Set by the platform operator." in body
    # Settings of modules the business lacks are hidden too.
    assert "quote_number_format" not in body and "einvoice_channel" not in body
    if role != "owner":
        return  # the rest of the business's settings are the Owner's
    data = admin_form_data(page, licence_modules=[m.value for m in LicenceModule], logo=None)
    assert client.post(tenant_page(world), data).status_code == 302
    assert Tenant.objects.get(pk=world.acme.pk).licence_modules == ["vip_support"]
    assert not AuditEntry.objects.filter(action="tenant.licence_change").exists()


def test_only_the_operator_may_call_the_licence_service(world):
    with pytest.raises(PermissionDenied):
        tenant_licence_change(
            tenant=world.acme, modules=["quotes"], actor=world.staff["acme", "owner"]
        )
    assert Tenant.objects.get(pk=world.acme.pk).licence_modules == [m.value for m in LicenceModule]


def test_switching_off_keeps_the_rows_and_switching_on_shows_them_again(world):
    department = Department.objects.create(tenant=world.acme, name="Support")
    operator = UserFactory(is_superuser=True)
    tenant_licence_change(tenant=world.acme, modules=[], actor=operator)
    client = owner(world)
    assert client.get("/manage/subscriptions/department/").status_code == 404
    assert Department.objects.filter(pk=department.pk).exists()
    tenant_licence_change(tenant=world.acme, modules=["vip_support"], actor=operator)
    assert "Support" in client.get("/manage/subscriptions/department/").content.decode()


def test_on_the_platform_host_the_operator_sees_every_businesss_rows(world):
    package = PackageFactory(tenant=world.acme, name="Gold support")
    licence_set(world.acme)  # acme's own back office has no packages any more
    client = Client(HTTP_HOST=settings.KONTOR_BASE_DOMAIN)
    client.force_login(
        UserFactory(is_superuser=True), backend="portal.accounts.TenantAuthenticationBackend"
    )
    response = client.get("/manage/subscriptions/package/")
    assert response.status_code == 200 and "Gold support" in response.content.decode()
    assert client.get(f"/manage/subscriptions/package/{package.pk}/change/").status_code == 200
