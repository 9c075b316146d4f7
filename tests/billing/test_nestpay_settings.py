"""NestPay (Turkish bank virtual POS) in the payment settings: the Owner enters the bank's
credentials (secrets encrypted, shown masked), the gateway reads the effective addresses."""

from decimal import Decimal

import pytest
from django.db import connection

from billing.models import PaymentSettings
from billing.payments.models import Gateway, NestPayBank, NestPayMode, bank_endpoints
from billing.payments.selectors import nestpay_config
from core.models import AuditEntry
from core.money import Money
from tests.conftest import client_for
from tests.helpers import admin_form_data

pytestmark = pytest.mark.django_db

ADD = "/manage/billing/paymentsettings/add/"
STORE_KEY = "STOREKEY0123456789abcdefXYZW"
API_PASSWORD = "apiPassword0123456789QRST"


def nestpay_form(client, **overrides) -> dict:
    fields = dict(
        gateway="nestpay",
        nestpay_bank="isbank",
        nestpay_mode="test",
        nestpay_client_id="700655000200",
        nestpay_store_key=STORE_KEY,
        nestpay_api_user="KONTORAPI",
        nestpay_api_password=API_PASSWORD,
        nestpay_store_type="3d_pay",
        nestpay_currencies=["TRY", "EUR"],
        nestpay_installments=["3", "6", "9"],
        nestpay_installments_min_amount="500.00",
        nestpay_installments_min_currency="TRY",
        retry_days="[1, 3]",
    )
    return admin_form_data(client.get(ADD), **{**fields, **overrides})


def test_the_owner_saves_nestpay_settings_with_secrets_encrypted_and_masked(world):
    owner = client_for(world.staff["acme", "owner"], world.acme)
    assert owner.post(ADD, nestpay_form(owner)).status_code == 302
    config = PaymentSettings.objects.get(tenant=world.acme)
    assert config.gateway == Gateway.NESTPAY and config.nestpay_store_key == STORE_KEY
    assert config.nestpay_currencies == ["TRY", "EUR"] and config.nestpay_installments == [3, 6, 9]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nestpay_store_key, nestpay_api_password FROM billing_paymentsettings"
            " WHERE id = %s",
            [config.pk],
        )
        raw = " ".join(cursor.fetchone())
    assert STORE_KEY not in raw and API_PASSWORD not in raw
    page = owner.get(f"/manage/billing/paymentsettings/{config.pk}/change/").content.decode()
    assert STORE_KEY not in page and "STOREKEY…XYZW" in page
    assert API_PASSWORD not in page and "apiPassw…QRST" in page
    logged = str(list(AuditEntry.objects.values_list("action", "before", "after")))
    assert STORE_KEY not in logged and API_PASSWORD not in logged and "secret " in logged


def test_a_manager_may_not_change_the_payment_settings(world):
    owner = client_for(world.staff["acme", "owner"], world.acme)
    owner.post(ADD, nestpay_form(owner))
    change = f"/manage/billing/paymentsettings/{world.acme.payment_settings.pk}/change/"
    manager = client_for(world.staff["acme", "manager"], world.acme)
    data = admin_form_data(owner.get(change), nestpay_client_id="999")
    assert manager.post(change, data).status_code == 403
    assert PaymentSettings.objects.get(tenant=world.acme).nestpay_client_id == "700655000200"


def test_nestpay_without_its_credentials_is_a_form_error_naming_them(world):
    owner = client_for(world.staff["acme", "owner"], world.acme)
    data = nestpay_form(owner, nestpay_store_key="", nestpay_api_user="")
    response = owner.post(ADD, data)
    page = response.content.decode()
    assert response.status_code == 200 and "NestPay needs:" in page
    assert "NestPay store key" in page and "NestPay API user" in page
    assert not PaymentSettings.objects.filter(tenant=world.acme).exists()


def test_a_bad_override_address_is_a_form_error(world):
    owner = client_for(world.staff["acme", "owner"], world.acme)
    response = owner.post(ADD, nestpay_form(owner, nestpay_gate_url="not an address"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["nestpay_gate_url"]


@pytest.mark.parametrize("counts", [["1"], ["13"], ["3", "x"]])
def test_installment_counts_outside_2_to_12_are_a_form_error(world, counts):
    owner = client_for(world.staff["acme", "owner"], world.acme)
    response = owner.post(ADD, nestpay_form(owner, nestpay_installments=counts))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["nestpay_installments"]


def test_installments_need_a_minimum_in_an_accepted_currency(world):
    owner = client_for(world.staff["acme", "owner"], world.acme)
    response = owner.post(ADD, nestpay_form(owner, nestpay_installments_min_currency="USD"))
    errors = response.context["adminform"].form.errors
    assert response.status_code == 200 and errors["nestpay_installments_min_currency"]
    response = owner.post(ADD, nestpay_form(owner, nestpay_installments_min_amount=""))
    assert response.context["adminform"].form.errors["nestpay_installments_min_amount"]


def test_try_must_stay_among_the_accepted_currencies(world):
    owner = client_for(world.staff["acme", "owner"], world.acme)
    response = owner.post(ADD, nestpay_form(owner, nestpay_currencies=["EUR"]))
    assert response.context["adminform"].form.errors["nestpay_currencies"]


def test_another_business_owner_gets_404_on_these_settings(world):
    owner = client_for(world.staff["acme", "owner"], world.acme)
    owner.post(ADD, nestpay_form(owner))
    change = f"/manage/billing/paymentsettings/{world.acme.payment_settings.pk}/change/"
    outsider = client_for(world.staff["globex", "owner"], world.globex)
    assert outsider.get(change).status_code == 404


@pytest.mark.parametrize(
    ("bank", "host"),
    [
        (NestPayBank.ISBANK, "sanalpos.isbank.com.tr"),
        (NestPayBank.AKBANK, "www.sanalakpos.com"),
        (NestPayBank.HALKBANK, "sanalpos.halkbank.com.tr"),
        (NestPayBank.ZIRAAT, "sanalpos2.ziraatbank.com.tr"),
    ],
)
def test_each_bank_has_its_production_addresses_and_the_shared_test_ones(bank, host):
    production = bank_endpoints(bank, NestPayMode.PRODUCTION)
    assert production.gate_url == f"https://{host}/fim/est3Dgate"
    assert production.api_url == f"https://{host}/fim/api"
    test = bank_endpoints(bank, NestPayMode.TEST)
    assert test.gate_url == "https://entegrasyon.asseco-see.com.tr/fim/est3Dgate"
    assert test.api_url == "https://entegrasyon.asseco-see.com.tr/fim/api"


def test_the_effective_addresses_follow_the_mode_and_an_override_wins(world):
    assert nestpay_config(tenant=world.acme) is None
    PaymentSettings.objects.create(
        tenant=world.acme,
        gateway=Gateway.NESTPAY,
        nestpay_bank=NestPayBank.AKBANK,
        nestpay_mode=NestPayMode.PRODUCTION,
        nestpay_client_id="100200300",
        nestpay_store_key=STORE_KEY,
        nestpay_api_user="API",
        nestpay_api_password=API_PASSWORD,
        nestpay_installments=[2, 3],
        nestpay_installments_min_amount=Decimal("250.00"),
    )
    config = nestpay_config(tenant=world.acme)
    assert config.gate_url == "https://www.sanalakpos.com/fim/est3Dgate"
    assert config.api_url == "https://www.sanalakpos.com/fim/api"
    assert config.store_key == STORE_KEY and config.api_password == API_PASSWORD
    assert config.installments_min == Money(Decimal("250.00"), "TRY")
    PaymentSettings.objects.filter(tenant=world.acme).update(
        nestpay_mode=NestPayMode.TEST, nestpay_api_url="https://pos.example.com/fim/api"
    )
    config = nestpay_config(tenant=world.acme)
    assert config.gate_url == "https://entegrasyon.asseco-see.com.tr/fim/est3Dgate"
    assert config.api_url == "https://pos.example.com/fim/api"
