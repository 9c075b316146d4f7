import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditEntry
from core.roles import SYSTEM
from subscriptions.models import Order, StageTemplate
from subscriptions.orders import order_advance, order_create
from tests.conftest import client_for
from tests.helpers import assert_max_queries

pytestmark = pytest.mark.django_db


def test_ordering_a_module_opens_an_order_that_is_received(world, alpha_basic):
    order = alpha_basic.orders.get()
    stages = list(order.stages.all())
    assert [s.name for s in stages] == ["Received", "In progress", "Delivered"]
    assert stages[0].reached_at and not stages[1].reached_at


def test_the_default_stages_speak_the_business_language(world):
    order = order_create(customer=world.charlie_co, title="Audit", actor=SYSTEM)  # globex: fr
    assert [s.name for s in order.stages.all()] == ["Reçue", "En cours", "Livrée"]


def test_a_business_names_its_own_stages(world):
    for position, name in enumerate(["Booked", "Session 1", "Session 2", "Report sent"]):
        StageTemplate.objects.create(tenant=world.acme, position=position, name=name)
    order = order_create(customer=world.alpha, title="Coaching", actor=SYSTEM)
    assert order.stages.count() == 4


def test_staff_advance_orders_stage_by_stage_until_delivered(world):
    order = order_create(customer=world.alpha, title="Setup", actor=SYSTEM)
    billing = world.staff["acme", "billing"]
    assert order_advance(order=order, actor=billing, note="Started on Monday").name == "In progress"
    assert order_advance(order=order, actor=billing).name == "Delivered"
    with pytest.raises(ValidationError):
        order_advance(order=order, actor=billing)
    assert AuditEntry.objects.filter(action="order.advance").count() == 2


def test_support_cannot_advance(world):
    order = order_create(customer=world.alpha, title="Setup", actor=SYSTEM)
    with pytest.raises(PermissionDenied):
        order_advance(order=order, actor=world.staff["acme", "support"])


def test_the_customer_follows_the_timeline(world):
    order = order_create(customer=world.alpha, title="Website redesign", actor=SYSTEM)
    order_advance(order=order, actor=world.staff["acme", "billing"], note="Designs in review")
    client = world.client(world.alice)
    listing = client.get("/orders/").content.decode()
    assert "Website redesign" in listing and "Designs in review" in listing
    assert client.get(f"/orders/{order.pk}/").status_code == 200
    assert "Website redesign" not in world.client(world.bob).get("/orders/").content.decode()


@pytest.mark.usefixtures("no_page_cache")
def test_the_orders_page_costs_the_same_with_more_orders(world):
    client = world.client(world.alice)
    order_create(customer=world.alpha, title="One", actor=SYSTEM)
    client.get("/orders/")
    with assert_max_queries(20) as few:
        client.get("/orders/")
    for n in range(10):
        order_create(customer=world.alpha, title=f"Order {n}", actor=SYSTEM)
    with assert_max_queries(len(few.captured_queries)):
        client.get("/orders/")


def test_staff_advance_from_the_back_office(world):
    order = order_create(customer=world.alpha, title="Setup", actor=SYSTEM)
    client = client_for(world.staff["acme", "billing"], world.acme)
    client.post(
        "/manage/subscriptions/order/", {"action": "advance", "_selected_action": [order.pk]}
    )
    assert order.stages.filter(reached_at__isnull=False).count() == 2
    support = client_for(world.staff["acme", "support"], world.acme)
    support.post(
        "/manage/subscriptions/order/", {"action": "advance", "_selected_action": [order.pk]}
    )
    assert order.stages.filter(reached_at__isnull=False).count() == 2  # not offered, refused
    assert Order.objects.count() == 1
