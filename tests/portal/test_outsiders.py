"""Every portal URL that carries an object id is checked with the outsider personas.

A new URL with an id must be added to OBJECT_URLS below (how to reach alice's object there):
the first test fails until it is, so no page can skip the check.
"""

import base64
import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter

from contracts.services import legal_document_publish
from core.roles import SYSTEM
from tests.helpers import assert_hidden_from_other_tenants, assert_hidden_from_outsiders

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00"
    b"\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _alpha_subscription(world):
    """Alice's customer's subscription (made once per test), on a tariff with a change target."""
    if not hasattr(world, "alpha_subscription"):
        from datetime import date

        from subscriptions.services import subscription_order
        from tests.factories import TariffFactory

        basic = TariffFactory(module__tenant=world.acme, name="Basic")
        basic.allowed_changes.add(TariffFactory(module=basic.module, name="Pro", price="20"))
        world.alpha_subscription = subscription_order(
            customer=world.alpha, tariff=basic, actor=SYSTEM, start_on=date(2026, 1, 1)
        )
    return world.alpha_subscription


def _alpha_module_data_url(world):
    """Alice's subscription's module-data page (its module given one field she may edit)."""
    from subscriptions.models import ModuleField

    subscription = _alpha_subscription(world)
    ModuleField.objects.get_or_create(
        tenant=world.acme,
        module=subscription.tariff.module,
        key="domain",
        defaults={"kind": "text", "label_en": "Domain", "editor": "customer"},
    )
    return f"/subscriptions/{subscription.pk}/module-data/"


def _acme_module_with_image(world):
    from django.core.files.base import ContentFile

    from tests.factories import ModuleFactory

    module = ModuleFactory(tenant=world.acme)
    module.image.save("m.png", ContentFile(PNG))
    return module


def _acme_package(world):
    from subscriptions.models import Package

    return Package.objects.create(
        tenant=world.acme, name="10 tickets", kind="credits", credits=10, price="100.00"
    )


def _acme_tariff(world):
    from tests.factories import TariffFactory

    return TariffFactory(module__tenant=world.acme, price="10.00")


def _alpha_invoice(world):
    from datetime import date
    from decimal import Decimal

    from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize

    invoice = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
    invoice_add_line(invoice=invoice, description="Work", unit_price=Decimal(100), actor=SYSTEM)
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=date(2026, 3, 1))


def _alpha_export_job(world):
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from core.models import Job, JobKind, JobState

    job = Job.objects.create(
        tenant=world.acme,
        kind=JobKind.CUSTOMER_EXPORT,
        customer_id=world.alpha.pk,
        requested_by=world.alice,
        state=JobState.DONE,
        filename="documents.zip",
        expires_at=timezone.now() + timedelta(days=1),
    )
    job.file.save("documents.zip", ContentFile(b"PK"), save=True)
    return job


def _alpha_credit_note(world, invoice=None):
    from datetime import date

    from billing.documents.credit_notes import credit_note_issue

    return credit_note_issue(
        invoice=invoice or _alpha_invoice(world),
        actor=SYSTEM,
        today=date(2026, 3, 2),
        reason="Goodwill",
    )


def _alpha_xrechnung_invoice(world):
    """An invoice whose data makes a valid XRechnung (German public buyer, seller contact)."""
    from tests.billing.test_xrechnung import issued

    return issued(world)


def _alpha_card(world):
    from billing.models import PaymentMethod

    return PaymentMethod.objects.create(
        tenant=world.acme,
        customer=world.alpha,
        token="pm_alpha",
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2034,
        is_default=True,
    )


def _alpha_attempt_url(world):
    from billing.models import PaymentAttempt

    invoice = _alpha_invoice(world)
    attempt = PaymentAttempt.objects.create(
        tenant=world.acme,
        customer=world.alpha,
        invoice=invoice,
        number=1,
        amount=invoice.gross_amount,
        currency="EUR",
        status="requires_action",
    )
    return f"/invoices/{invoice.pk}/pay/{attempt.pk}/confirmed/"


def _alpha_payment(world):
    from billing.payments.services import invoice_mark_paid

    invoice = _alpha_invoice(world)
    invoice_mark_paid(invoice=invoice, actor=SYSTEM, amount=invoice.gross_amount)
    return invoice.allocations.get().payment


def _alpha_quote_request(world):
    from quotes.requests import quote_request_create

    return quote_request_create(
        customer=world.alpha, actor=world.alice, items=[], note="A website, please."
    )


def _alpha_quote(world):
    """Alice's customer's quote, sent and awaiting approval (made once per test)."""
    if not hasattr(world, "alpha_quote"):
        from quotes.lifecycle import quote_send
        from tests.quotes.helpers import TODAY, pending_quote

        world.alpha_quote = quote_send(
            quote=pending_quote(world.alpha, recurring=False), actor=SYSTEM, today=TODAY
        )
    return world.alpha_quote


def _quote_url(suffix: str, method: str = "get", data=None):
    return lambda w: (f"/quotes/{_alpha_quote(w).pk}/{suffix}", method, data)


def _subscription_url(suffix: str, method: str = "get", data=None):
    return lambda w: (f"/subscriptions/{_alpha_subscription(w).pk}/{suffix}", method, data)


# url name -> (path to alice's object at acme, method, POST data)
OBJECT_URLS = {
    "customer_switch": lambda w: (f"/customer/{w.alpha.pk}/switch/", "post", {"next": "/"}),
    "subscription_detail": _subscription_url(""),
    "subscription_change": _subscription_url("change/"),
    "subscription_cancel": _subscription_url("cancel/"),
    "subscription_undo_cancel": _subscription_url("undo-cancel/", "post", {}),
    "subscription_undo_change": _subscription_url("undo-change/", "post", {}),
    "subscription_module_data": lambda w: (_alpha_module_data_url(w), "get", None),
    "invoice_pdf": lambda w: (f"/invoices/{_alpha_invoice(w).pk}/pdf", "get", None),
    "invoice_xml": lambda w: (f"/invoices/{_alpha_invoice(w).pk}/xml", "get", None),
    "invoice_detail": lambda w: (f"/invoices/{_alpha_invoice(w).pk}/", "get", None),
    "invoice_xrechnung": lambda w: (
        f"/invoices/{_alpha_xrechnung_invoice(w).pk}/xrechnung",
        "get",
        None,
    ),
    "credit_note_xrechnung": lambda w: (
        f"/invoices/credit-notes/{_alpha_credit_note(w, _alpha_xrechnung_invoice(w)).pk}/xrechnung",
        "get",
        None,
    ),
    "credit_note_pdf": lambda w: (
        f"/invoices/credit-notes/{_alpha_credit_note(w).pk}/pdf",
        "get",
        None,
    ),
    "credit_note_xml": lambda w: (
        f"/invoices/credit-notes/{_alpha_credit_note(w).pk}/xml",
        "get",
        None,
    ),
    "invoice_pay": lambda w: (f"/invoices/{_alpha_invoice(w).pk}/pay/", "get", None),
    "invoice_pay_confirmed": lambda w: (_alpha_attempt_url(w), "post", {}),
    "payment_method_default": lambda w: (
        f"/payment-methods/{_alpha_card(w).pk}/default/",
        "post",
        {},
    ),
    "payment_method_remove": lambda w: (
        f"/payment-methods/{_alpha_card(w).pk}/remove/",
        "get",
        None,
    ),
    "payment_receipt": lambda w: (f"/payments/{_alpha_payment(w).pk}/receipt", "get", None),
    "order_detail": lambda w: (f"/orders/{_alpha_subscription(w).orders.get().pk}/", "get", None),
    "quote_request_detail": lambda w: (
        f"/quotes/requests/{_alpha_quote_request(w).pk}/",
        "get",
        None,
    ),
    "quote_detail": _quote_url(""),
    "quote_pdf": lambda w: (f"/quotes/{_alpha_quote(w).pk}/pdf", "get", None),
    "quote_approve": _quote_url("approve/", "post", {"accept_terms": "on", "terms_id": ""}),
    "quote_decline": _quote_url("decline/"),
    "account_export_progress": lambda w: (
        f"/account/export/jobs/{_alpha_export_job(w).pk}/progress",
        "get",
        None,
    ),
    "account_export_download": lambda w: (
        f"/account/export/jobs/{_alpha_export_job(w).pk}/download",
        "get",
        None,
    ),
}
# Pages of things the whole tenant shares (its terms, its catalogue): url name -> path to acme's.
TENANT_WIDE_URLS = {
    "legal_document": lambda w: f"/legal/{w.acme_terms.pk}/",
    "package_buy": lambda w: f"/credits/packages/{_acme_package(w).pk}/",
    "module_image": lambda w: f"/catalogue/modules/{_acme_module_with_image(w).pk}/image",
    "checkout_review": lambda w: f"/order/tariffs/{_acme_tariff(w).pk}/",
}
# Ids under a signed invoice link: the link, not a login, opens them; that an id of anything
# but the link's own invoice is a 404 is tested in tests/billing/test_link_payment.py.
SIGNED_LINK_URLS = {"invoice_link_pay_confirmed"}
# Not portal pages: the back office is scoped and tested on its own (tests/core), allauth's
# URLs carry keys and codes of the person's own login, not objects of a customer. The REST API
# answers API keys, not logins: another business's ids there are 404s in tests/portal/test_api.py.
NOT_PORTAL = ("manage/", "accounts/", "api/")


def _urls_with_ids(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if not route.startswith(NOT_PORTAL):
                yield from _urls_with_ids(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and any(
            isinstance(c, IntConverter) for c in entry.pattern.converters.values()
        ):
            # Object ids. Signed-link tokens (str) are tested in tests/billing/test_signed_links.py
            yield entry.name


def test_every_portal_url_with_an_object_id_is_covered():
    found = set(_urls_with_ids(get_resolver().url_patterns))
    assert found, "the walk found no URL with an id: it is broken"
    covered = set(OBJECT_URLS) | set(TENANT_WIDE_URLS) | SIGNED_LINK_URLS
    assert found == covered, f"add these to OBJECT_URLS or TENANT_WIDE_URLS: {found - covered}"


# Signed-link pages: the token, not a login, opens them. A link opens its own quote for anyone
# holding it, on its business's host only, and only while valid (tests/quotes/test_portal.py
# tries tampered, expired and revoked tokens on each of these).
QUOTE_LINK_SUFFIXES = ("", "pdf", "approve/", "decline/")


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", QUOTE_LINK_SUFFIXES)
def test_a_quote_link_opens_nothing_on_another_host_or_for_another_customers_token(world, suffix):
    from quotes.lifecycle import quote_send
    from quotes.links import quote_link_path
    from tests.quotes.helpers import TODAY, pending_quote

    path = quote_link_path(_alpha_quote(world))
    bravo_quote = quote_send(
        quote=pending_quote(world.bravo, recurring=False), actor=SYSTEM, today=TODAY
    )
    assert world.client(None).get(quote_link_path(bravo_quote)).status_code == 200
    # bob's token with alice's customer and quote swapped into its payload: the signature
    # no longer matches
    token = quote_link_path(bravo_quote).split("/")[3]
    payload = (
        base64.urlsafe_b64encode(
            json.dumps({"c": world.alpha.pk, "o": _alpha_quote(world).pk}).encode()
        )
        .decode()
        .rstrip("=")
    )
    forged = "/l/quote/" + ":".join([payload, *token.split(":")[1:]]) + "/"
    for client, url in (
        (world.client(None, tenant=world.globex), path + suffix),
        (world.client(world.charlie), path + suffix),
        (world.client(None), forged + suffix),
    ):
        response = client.post(url, {}) if suffix == "approve/" else client.get(url)
        assert response.status_code == 404, f"{url}: {response.status_code}"


# The portal link (contracts/portal_links.py) signs its contact in: on its own business's host
# only, and never with a token forged for another contact (tests/contracts/test_portal_links.py
# tries expired, used, revoked and closed-account links).
@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_portal_link_opens_nothing_on_another_host_or_forged_for_another_contact(world, method):
    from contracts.portal_links import portal_link_path

    path = portal_link_path(world.alpha.contacts.get(user=world.alice))
    token = portal_link_path(world.bravo.contacts.get(user=world.bob)).split("/")[3]
    payload = (
        base64.urlsafe_b64encode(
            json.dumps(
                {"c": world.alpha.pk, "o": world.alpha.contacts.get().pk, "n": "x" * 22}
            ).encode()
        )
        .decode()
        .rstrip("=")
    )
    forged = "/l/portal/" + ":".join([payload, *token.split(":")[1:]]) + "/"
    for client, url in (
        (world.client(None, tenant=world.globex), path),
        (world.client(world.charlie), path),
        (world.client(None), forged),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 404, f"{url}: {response.status_code}"
    assert world.client(world.bob).get(path).status_code == 200  # a link opens for its holder


@pytest.mark.django_db
def test_the_portal_link_page_of_another_business_customer_is_a_404_in_the_back_office(world):
    path = f"/manage/contracts/customer/{world.alpha.pk}/portal-link/"
    client = world.client(world.staff["globex", "owner"], tenant=world.globex)
    assert client.get(path).status_code == 404
    assert world.client(world.staff["acme", "billing"]).get(path).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(OBJECT_URLS))
def test_outsiders_get_404(world, name):
    path, method, data = OBJECT_URLS[name](world)
    assert_hidden_from_outsiders(world, path, method=method, data=data)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(TENANT_WIDE_URLS))
def test_other_tenants_get_404(world, name):
    from contracts.models import LegalAcceptance

    world.acme_terms = legal_document_publish(
        tenant=world.acme, kind="terms", version="1", title="Terms", body="…", actor=SYSTEM
    )
    for customer in (world.alpha, world.bravo):  # accepted, so no acceptance page comes first
        LegalAcceptance.objects.create(
            tenant=world.acme, customer=customer, document=world.acme_terms
        )
    assert_hidden_from_other_tenants(world, TENANT_WIDE_URLS[name](world))


# The bank's answers (NestPay back-posts): no id and no login; the bank's hash over the answer,
# made with the business's store key, is the only authority. Anyone else's post, for alice's
# order, on her business's host or another's, is a 400 that records nothing.
BANK_ANSWER_URLS = ("/pay/nestpay/ok/", "/pay/nestpay/fail/")


@pytest.mark.django_db
@pytest.mark.parametrize("path", BANK_ANSWER_URLS)
def test_nobody_but_the_bank_can_answer_for_alices_order(world, path):
    from billing.models import PaymentAttempt, PaymentSettings
    from billing.payments.nestpay.hashing import nestpay_hash
    from billing.payments.nestpay_payments import nestpay_order_open

    PaymentSettings.objects.create(
        tenant=world.acme,
        gateway="nestpay",
        nestpay_bank="isbank",
        nestpay_client_id="100200127",
        nestpay_store_key="the-store-key",
        nestpay_currencies=["TRY", "EUR"],
    )
    invoice = _alpha_invoice(world)
    order = nestpay_order_open(
        invoice=invoice, amount=None, installments=None, return_path="/", actor=world.alice
    )
    answer = {
        "clientid": "100200127",
        "oid": order.oid,
        "amount": f"{invoice.amount_due:.2f}",
        "currency": "978",
        "mdStatus": "1",
        "ProcReturnCode": "00",
        "Response": "Approved",
    }
    forged = {**answer, "HASH": nestpay_hash(answer, "a-guessed-key")}
    for client in (
        world.client(None),
        world.client(world.bob),
        world.client(world.charlie),
        world.client(None, tenant=world.globex),
    ):
        assert client.post(path, forged).status_code == 400
        assert client.post(path, answer).status_code == 400
        assert client.get(path).status_code == 405
    attempt = PaymentAttempt.objects.get(invoice=invoice)
    assert attempt.status == "requires_action" and attempt.payment is None
