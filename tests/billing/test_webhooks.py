"""Stripe's webhooks: signatures checked, each event kept once and applied once, in any order
and however often it comes; plus the nightly reconciliation. Events are localstripe's own
(fetched from its events list) or, where it emits none, built in Stripe's documented shape;
both are signed the way Stripe signs them."""

import hashlib
import hmac
import json
import random
import time

import pytest

from billing.models import GatewayEvent, Payment, PaymentMethod
from billing.payments.refunds import credit_note_refund
from billing.payments.services import invoice_pay
from billing.payments.webhooks import events_reconcile
from core.roles import SYSTEM
from tests import stripe_fake
from tests.billing.test_payments import save_card

pytestmark = pytest.mark.django_db
SECRET = "whsec_kontor"  # what stripe_acme configures


def signed(payload: str, secret: str = SECRET) -> str:
    stamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


@pytest.fixture
def deliver(world, eager_tasks, django_capture_on_commit_callbacks):
    client = world.client(None)

    def post(event: dict, secret: str = SECRET):
        payload = json.dumps(event)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                "/stripe/webhook/acme/",
                payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=signed(payload, secret),
            )

    return post


def fake_events(fake, kind: str) -> list[dict]:
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 — the fake's own http URL
        f"{fake.url}/v1/events?type={kind}&limit=100",
        headers={"Authorization": "Bearer sk_test_kontor"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())["data"]


def test_a_bad_signature_is_refused_and_nothing_kept(stripe_acme, deliver):
    event = {"id": "evt_1", "type": "payment_intent.succeeded", "created": 1, "data": {}}
    assert deliver(event, secret="whsec_wrong").status_code == 400
    assert not GatewayEvent.objects.exists()


GOOD = {
    "id": "evt_odd",
    "type": "payment_intent.succeeded",
    "created": 1767225600,
    "data": {"object": {"id": "pi_odd", "object": "payment_intent"}},
}


@pytest.mark.parametrize(
    "body",
    [
        [GOOD],
        "evt_odd",
        None,
        {k: v for k, v in GOOD.items() if k != "id"},
        {**GOOD, "id": ""},
        {**GOOD, "id": 7},
        {**GOOD, "id": "evt_" + "x" * 300},
        {k: v for k, v in GOOD.items() if k != "type"},
        {**GOOD, "type": ["payment_intent.succeeded"]},
        {**GOOD, "created": "1767225600"},
        {**GOOD, "created": 10**20},
        {**GOOD, "created": -1},
        {**GOOD, "created": True},
        {**GOOD, "data": []},
        {**GOOD, "data": {"object": "pi_odd"}},
        {**GOOD, "data": {"object": None}},
        {k: v for k, v in GOOD.items() if k != "data"},
        {**GOOD, "data": {"object": {"id": "pi_\x00odd"}}},  # PostgreSQL's jsonb refuses NUL
    ],
    ids=[
        "an-array",
        "a-string",
        "null",
        "no-id",
        "empty-id",
        "numeric-id",
        "overlong-id",
        "no-type",
        "array-type",
        "string-created",
        "far-future-created",
        "negative-created",
        "boolean-created",
        "array-data",
        "string-object",
        "null-object",
        "no-data",
        "nul-character",
    ],
)
def test_a_signed_event_of_the_wrong_shape_is_refused_and_nothing_kept(stripe_acme, deliver, body):
    assert deliver(body).status_code == 400
    assert not GatewayEvent.objects.exists()


@pytest.mark.parametrize("raw", ['{"id": 1e400}', '{"id": NaN}', "[" * 100_000 + "]" * 100_000])
def test_a_signed_body_that_is_no_storable_json_is_refused(stripe_acme, world, raw):
    response = world.client(None).post(
        "/stripe/webhook/acme/",
        raw,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signed(raw),
    )
    assert response.status_code == 400
    assert not GatewayEvent.objects.exists()


def test_a_well_shaped_event_is_kept(stripe_acme, deliver):
    assert deliver(GOOD).status_code == 200
    assert GatewayEvent.objects.get().event_id == "evt_odd"


def test_the_same_success_ten_times_in_shuffled_order_pays_once(
    stripe_acme,
    world,
    invoice,
    deliver,
):
    card = save_card(world, stripe_acme, stripe_fake.CARD_3DS)
    attempt = invoice_pay(invoice=invoice, method=card, actor=world.alice)
    stripe_acme.browser_authenticates(attempt.client_secret)  # the tab is closed afterwards
    succeeded = [
        e
        for e in fake_events(stripe_acme, "payment_intent.succeeded")
        if e["data"]["object"]["id"] == attempt.intent_id
    ]
    assert succeeded, "localstripe emitted the event"
    failed = {
        "id": "evt_failed_earlier",
        "type": "payment_intent.payment_failed",
        "created": succeeded[0]["created"] - 5,
        "data": {
            "object": {
                **succeeded[0]["data"]["object"],
                "status": "requires_payment_method",
                "last_payment_error": {"message": "Authentication failed"},
            }
        },
    }
    deliveries = [succeeded[0]] * 10 + [failed] * 3
    random.Random(7).shuffle(deliveries)
    for event in deliveries:
        assert deliver(event).status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert Payment.objects.filter(allocations__invoice=invoice).count() == 1
    assert GatewayEvent.objects.count() == 2
    assert GatewayEvent.objects.filter(processed_at__isnull=True).count() == 0


def test_the_nightly_reconciliation_picks_up_what_never_arrived(
    stripe_acme,
    world,
    invoice,
):
    card = save_card(world, stripe_acme, stripe_fake.CARD_3DS)
    attempt = invoice_pay(invoice=invoice, method=card, actor=world.alice)
    stripe_acme.browser_authenticates(attempt.client_secret)
    assert events_reconcile(tenant=world.acme) >= 1
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert events_reconcile(tenant=world.acme) == 0  # all known now


def test_a_card_detached_at_stripe_disappears_here(stripe_acme, world, deliver):
    first = save_card(world, stripe_acme)
    second = save_card(world, stripe_acme)
    event = {
        "id": "evt_detached",
        "type": "payment_method.detached",
        "created": 1,
        "data": {"object": {"id": first.token, "object": "payment_method", "customer": None}},
    }
    deliver(event)
    assert list(PaymentMethod.objects.all()) == [PaymentMethod.objects.get(pk=second.pk)]
    assert PaymentMethod.objects.get().is_default


def test_a_dispute_marks_the_payment(stripe_acme, world, invoice, deliver):
    card = save_card(world, stripe_acme)
    payment = invoice_pay(invoice=invoice, method=card, actor=world.alice).payment
    event = {
        "id": "evt_dispute",
        "type": "charge.dispute.created",
        "created": 1,
        "data": {
            "object": {
                "id": "dp_1",
                "object": "dispute",
                "charge": payment.reference,
                "amount": 11900,
                "reason": "fraudulent",
            }
        },
    }
    deliver(event)
    payment.refresh_from_db()
    assert payment.disputed_at is not None


def test_events_localstripe_never_sends_in_stripes_shape(stripe_acme, world, invoice, deliver):
    from billing.models import CreditNote, Refund
    from billing.payments.services import card_setup_start

    # setup_intent.succeeded: the browser saved a card, then the tab was closed.
    _key, secret = card_setup_start(customer=world.alpha, actor=world.alice)
    setup = stripe_acme.browser_saves_card(secret)
    deliver(
        {
            "id": "evt_setup",
            "type": "setup_intent.succeeded",
            "created": 1,
            "data": {"object": setup},
        }
    )
    card = PaymentMethod.objects.get(customer=world.alpha)
    # payment_method.updated: the bank sent a new expiry.
    deliver(
        {
            "id": "evt_updated",
            "type": "payment_method.updated",
            "created": 2,
            "data": {
                "object": {
                    "id": card.token,
                    "object": "payment_method",
                    "card": {"exp_month": 3, "exp_year": 2031},
                }
            },
        }
    )
    card.refresh_from_db()
    assert (card.exp_month, card.exp_year, card.last4) == (3, 2031, "4242")
    # An older update arriving late changes nothing.
    deliver(
        {
            "id": "evt_updated_older",
            "type": "payment_method.updated",
            "created": 1,
            "data": {
                "object": {
                    "id": card.token,
                    "object": "payment_method",
                    "card": {"exp_month": 1, "exp_year": 2029},
                }
            },
        }
    )
    card.refresh_from_db()
    assert (card.exp_month, card.exp_year) == (3, 2031)
    # charge.refunded confirms a refund still pending here.
    payment = invoice_pay(invoice=invoice, method=card, actor=world.alice).payment

    note = credit_note_refund(invoice=invoice, actor=SYSTEM, today=invoice.issue_date, reason="r")
    Refund.objects.filter(credit_note=note).update(status="pending", gateway_refund_id="re_1")
    deliver(
        {
            "id": "evt_refunded",
            "type": "charge.refunded",
            "created": 3,
            "data": {
                "object": {
                    "id": payment.reference,
                    "object": "charge",
                    "refunds": {"data": [{"id": "re_1", "status": "succeeded"}]},
                }
            },
        }
    )
    assert Refund.objects.get(credit_note=note).status == "succeeded"
    assert CreditNote.objects.count() == 1
