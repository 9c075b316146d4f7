import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from billing.models import Checkout, Invoice, PaymentLink
from billing.payments.models import PaymentSettings
from billing.payments.nestpay.hashing import nestpay_hash
from billing.payments.selectors import nestpay_config
from contracts.models import Contact, Customer
from core.models import StaffMembership, Tenant
from portal.demo import DEMO_PASSWORD, demo_logins
from portal.demo_nestpay import (
    DEMO_NESTPAY_API_PASSWORD,
    DEMO_NESTPAY_API_USER,
    DEMO_NESTPAY_CLIENT_ID,
    DEMO_NESTPAY_SIMULATOR_URL,
    DEMO_NESTPAY_STORE_KEY,
    simulator_merchant,
)
from quotes.models import Quote, QuoteRequest
from subscriptions.models import (
    CancellationRequest,
    DiscountCode,
    Module,
    Option,
    Package,
    Subscription,
    Tariff,
)
from tests.nestpay_fake import FakeNestPay
from tests.stripe_fake import free_port

pytestmark = pytest.mark.django_db


def test_it_creates_two_branded_tenants_with_staff_and_customers(capsys):
    call_command("seed_demo")
    acme, globex = Tenant.objects.get(slug="acme"), Tenant.objects.get(slug="globex")
    assert acme.primary_colour != globex.primary_colour
    for tenant in (acme, globex):
        roles = set(StaffMembership.objects.filter(tenant=tenant).values_list("role", flat=True))
        assert roles == {"support", "billing", "manager", "owner"}
        assert Customer.objects.filter(tenant=tenant).count() == 3
        assert Contact.objects.filter(tenant=tenant, role="owner").count() == 3
        subscriptions = Subscription.objects.filter(tenant=tenant)
        # One of them from an approved quote, one bought through the welcome payment link.
        assert subscriptions.count() == 6
        bought = Checkout.objects.get(tenant=tenant, payment_link__isnull=False)
        assert bought.status == "completed" and bought.subscription.status == "active"
        assert bought.subscription.discount_code is not None
        assert subscriptions.filter(status="scheduled_end").count() == 1
        assert Module.objects.filter(tenant=tenant).exclude(image="").count() == 2
    out = capsys.readouterr().out
    assert "owner@acme.test" in out and "customer3@globex.test" in out and DEMO_PASSWORD in out


def test_plans_say_what_subscribers_may_do_and_a_cancellation_request_waits():
    call_command("seed_demo")
    for tenant in Tenant.objects.filter(slug__in=["acme", "globex"]):
        assert Tariff.objects.filter(tenant=tenant, cancellation_needs_approval=True).exists()
    assert Tariff.objects.filter(portal_may_change=False).exists()
    (waiting,) = CancellationRequest.objects.filter(status="pending")
    assert waiting.subscription.customer.number == "G-2001"
    assert waiting.subscription.status == "active"


def test_each_tenant_has_quotes_in_every_state_and_an_open_request():
    call_command("seed_demo")
    for tenant in Tenant.objects.filter(slug__in=["acme", "globex"]):
        quotes = {q.status: q for q in Quote.objects.filter(tenant=tenant)}
        assert sorted(quotes) == ["converted", "declined", "expired", "sent"]
        # Awaiting an answer: one-off and recurring lines, an add-on option offered
        pending = quotes["sent"]
        assert {line.kind for line in pending.lines.all()} == {"one_off", "recurring"}
        assert pending.lines.filter(options__isnull=False).exists()
        # Approved and converted: its invoice and its subscription, as offered
        converted = quotes["converted"]
        assert converted.invoice.status == "open" and converted.invoice.number
        assert converted.approver_name and converted.approved_terms is not None
        (subscription,) = converted.subscriptions.all()
        assert subscription.customer == converted.customer
        # Declined with a reason; expired by the job
        assert quotes["declined"].decline_reason
        assert quotes["expired"].events.filter(kind="expired").exists()
        # Numbered gaplessly in the order they were sent
        numbers = sorted(Quote.objects.filter(tenant=tenant).values_list("number", flat=True))
        assert [int(n.rsplit("-", 1)[1]) for n in numbers] == [1, 2, 3, 4]
        (request,) = QuoteRequest.objects.filter(tenant=tenant)
        assert request.status == "open" and request.items.count() == 1


def counts() -> tuple[int, ...]:
    return (
        Tenant.objects.count(),
        Customer.objects.count(),
        Contact.objects.count(),
        StaffMembership.objects.count(),
        Subscription.objects.count(),
        Quote.objects.count(),
        QuoteRequest.objects.count(),
        PaymentLink.objects.count(),
        DiscountCode.objects.count(),
    )


def test_it_is_idempotent():
    call_command("seed_demo")
    before = counts()
    call_command("seed_demo")
    assert counts() == before


def test_if_empty_leaves_an_existing_database_alone(capsys):
    Tenant.objects.create(slug="mine", name="Mine")
    call_command("seed_demo", "--if-empty")
    assert not Tenant.objects.filter(slug="acme").exists()
    assert "not re-seeded" in capsys.readouterr().out


def test_every_printed_demo_login_works():
    call_command("seed_demo")
    for slug, email, _what in demo_logins():
        client = Client(HTTP_HOST=f"{slug}.localhost")
        response = client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        target = (
            "/manage/" if email.split("@")[0] in {"owner", "manager", "billing", "support"} else "/"
        )
        assert client.get(target, follow=True).status_code == 200, email


def test_it_prints_a_working_portal_link(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    url = out.split("(works once):")[1].split()[0]
    assert url.startswith("http://acme.localhost:")
    path = "/" + url.split("/", 3)[3]
    client = Client(HTTP_HOST="acme.localhost")
    assert client.get(path).status_code == 200
    response = client.post(path)
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_it_prints_a_payment_link_that_sells_and_every_business_has_two():
    call_command("seed_demo")
    buffer = StringIO()
    call_command("seed_demo", "--if-empty", stdout=buffer)  # as `make run` calls it
    out = buffer.getvalue()
    url = out.split("(sign up as a new customer there):")[1].split()[0]
    assert url.startswith("http://acme.localhost:") and "/buy/" in url
    page = Client(HTTP_HOST="acme.localhost").get("/" + url.split("/", 3)[3])
    assert page.status_code == 200 and "WELCOME10" in page.content.decode()
    for tenant in Tenant.objects.filter(slug__in=["acme", "globex"]):
        links = PaymentLink.objects.filter(tenant=tenant)
        assert links.count() == 2
        assert links.filter(discount_code__code="WELCOME10").count() == 1
        assert any(link.tariffs.count() == 2 for link in links)
    assert not Module.objects.filter(image="").exists()


# Globex sells in Turkish lira and takes cards through NestPay, answered by the simulator
# `make run` starts with the demo merchant (portal/demo_nestpay.py).


def test_globex_sells_in_lira_and_has_an_open_invoice_to_pay_with_installments():
    call_command("seed_demo")
    globex = Tenant.objects.get(slug="globex")
    assert globex.default_currency == "TRY"
    assert set(Tariff.objects.filter(tenant=globex).values_list("currency", flat=True)) == {"TRY"}
    assert set(Option.objects.filter(tenant=globex).values_list("currency", flat=True)) == {"TRY"}
    assert set(Package.objects.filter(tenant=globex).values_list("currency", flat=True)) == {"TRY"}
    invoices = Invoice.objects.filter(tenant=globex)
    assert invoices.filter(currency="TRY").count() > 0
    assert set(invoices.values_list("currency", flat=True)) <= {"TRY", "USD"}
    open_try = [
        invoice
        for invoice in invoices.filter(status="open", currency="TRY", customer__number="G-2001")
        if invoice.amount_due > Decimal("1000.00")
    ]
    assert open_try, "customer1@globex.test has a lira invoice above the installments minimum"


def test_globex_takes_cards_through_the_nestpay_simulator_and_acme_stays_as_it_was():
    call_command("seed_demo")
    globex = Tenant.objects.get(slug="globex")
    config = nestpay_config(tenant=globex)
    assert config is not None
    assert (config.bank, config.mode, config.store_type) == ("isbank", "test", "3d_pay_hosting")
    assert config.gate_url == f"{DEMO_NESTPAY_SIMULATOR_URL}/fim/est3Dgate"
    assert config.api_url == f"{DEMO_NESTPAY_SIMULATOR_URL}/fim/api"
    assert (config.client_id, config.store_key) == (DEMO_NESTPAY_CLIENT_ID, DEMO_NESTPAY_STORE_KEY)
    assert (config.api_user, config.api_password) == (
        DEMO_NESTPAY_API_USER,
        DEMO_NESTPAY_API_PASSWORD,
    )
    assert config.currencies == ["TRY"]
    assert config.installments == [2, 3, 6, 9, 12]
    assert (config.installments_min.amount, config.installments_min.currency) == (
        Decimal("1000.00"),
        "TRY",
    )
    acme = Tenant.objects.get(slug="acme")
    assert acme.default_currency == "EUR"
    assert nestpay_config(tenant=acme) is None


def test_without_the_simulator_globex_takes_bank_transfers():
    call_command("seed_demo", "--nestpay-simulator", "")
    settings = PaymentSettings.objects.get(tenant__slug="globex")
    assert settings.gateway == "manual"
    assert (settings.nestpay_bank, settings.nestpay_gate_url) == ("isbank", "")
    assert nestpay_config(tenant=settings.tenant) is None


def test_demo_nestpay_points_globex_at_a_simulator_and_away_again():
    call_command("seed_demo", "--nestpay-simulator", "")
    call_command("demo_nestpay", "--simulator", "http://127.0.0.1:9431")
    globex = Tenant.objects.get(slug="globex")
    assert nestpay_config(tenant=globex).gate_url == "http://127.0.0.1:9431/fim/est3Dgate"
    call_command("demo_nestpay", "--off")
    assert nestpay_config(tenant=globex) is None
    out = StringIO()
    call_command("demo_nestpay", "--print-merchant", stdout=out)
    assert out.getvalue().strip() == simulator_merchant()


def test_the_simulator_started_with_the_demo_merchant_accepts_globex_forms():
    # As bin/run starts it: the seeded credentials are the ones the simulator knows.
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 — our own interpreter and module
        [sys.executable, "-m", "billing.payments.nestpay_simulator", "--port", str(port),
         "--merchant", simulator_merchant()],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{url}/_health", timeout=1).close()  # noqa: S310
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        call_command("seed_demo", "--nestpay-simulator", url)
        config = nestpay_config(tenant=Tenant.objects.get(slug="globex"))
        fields = {
            "clientid": config.client_id,
            "oid": "DEMO-1",
            "amount": "1500.00",
            "currency": "949",
            "okUrl": "http://globex.localhost:8000/ok/",
            "failUrl": "http://globex.localhost:8000/fail/",
            "rnd": "demo",
            "storetype": config.store_type,
            "hashAlgorithm": "ver3",
            "lang": "tr",
            "taksit": "3",
        }
        fields["hash"] = nestpay_hash(fields, config.store_key)
        bank = FakeNestPay(url, process)
        _url, back = bank.browser_pays(fields)
        assert back["Response"] == "Approved"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_acme_has_customers_in_dunning_and_a_recovery_on_the_dashboard():
    from django.utils import timezone

    from billing.collections.models import InvoiceReminder, ReminderOutcome
    from billing.insights.selectors import dunning_by_month
    from billing.insights.selectors import dunning_open as dunning_still_open
    from billing.payments.models import DunningCase
    from subscriptions.periods import local_today

    call_command("seed_demo")
    acme = Tenant.objects.get(slug="acme")
    today = local_today(timezone.now(), acme.timezone)

    # Two overdue invoices, the one at its first reminder after the due date, the other later.
    def latest_reminder(number: str) -> tuple[int, int]:
        invoice = Invoice.objects.get(
            tenant=acme, customer__number=number, status="open", due_date__lt=today
        )
        sent = invoice.reminders.exclude(outcome=ReminderOutcome.PASSED_OVER)
        return (today - invoice.due_date).days, max(sent.values_list("offset_days", flat=True))

    assert latest_reminder("C-1002") == (5, 3)
    assert latest_reminder("C-1003") == (12, 10)
    assert InvoiceReminder.objects.filter(tenant=acme).count() == 5  # each step once
    # A declined renewal charge waiting for its retry, and one recovered after the e-mail.
    cases = {
        c.invoice.customer.number: c
        for c in DunningCase.objects.filter(tenant=acme).select_related("invoice__customer")
    }
    assert sorted(cases) == ["C-1002", "C-1003"]
    waiting, recovered = cases["C-1003"], cases["C-1002"]
    assert waiting.closed_on is None and waiting.next_retry_on == today + timedelta(days=1)
    (attempt,) = waiting.invoice.payment_attempts.all()
    assert (attempt.status, attempt.off_session) == ("failed", True)
    assert attempt.payment_method.is_default and waiting.invoice.status == "open"
    assert recovered.outcome == "recovered" and recovered.invoice.status == "paid"
    # The back office's dunning figures show them.
    months = dunning_by_month(tenant=acme, currency="EUR", today=today)
    assert sum(m.recovered for m in months) == 1
    assert sum(m.amount_recovered for m in months) == recovered.invoice.gross_amount
    assert dunning_still_open(tenant=acme, currency="EUR").count == 1
    # Invoice numbers follow their dates, the overdue ones issued between the runs.
    issued = list(
        Invoice.objects.filter(tenant=acme, number__startswith="INV-")
        .order_by("issue_date", "id")
        .values_list("number", flat=True)
    )
    assert issued == sorted(issued)
