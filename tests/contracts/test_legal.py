"""Terms and privacy policy: versions, acceptance by the customer, asked again on a new one."""

import pytest

from contracts.models import LegalAcceptance
from contracts.selectors import legal_documents_pending
from contracts.services import legal_document_publish

pytestmark = pytest.mark.django_db


def publish(world, kind="terms", version="1"):
    return legal_document_publish(
        tenant=world.acme,
        kind=kind,
        version=version,
        title=f"{kind} {version}",
        body="§1 We bill you.\n\n§2 You pay us.",
        actor=world.staff["acme", "owner"],
    )


def test_a_new_version_is_asked_for_before_anything_else(world):
    terms = publish(world)
    client = world.client(world.alice)
    response = client.get("/invoices/")
    assert response.status_code == 302
    assert response["Location"] == "/legal/accept/?next=%2Finvoices%2F"
    page = client.get(response["Location"])
    assert f'href="/legal/{terms.pk}/"'.encode() in page.content
    assert client.get(f"/legal/{terms.pk}/").status_code == 200  # readable before accepting


def test_accepting_needs_the_tick_and_then_returns_where_one_was_going(world):
    publish(world)
    publish(world, kind="privacy")
    client = world.client(world.alice)
    refused = client.post("/legal/accept/", {"next": "/invoices/"})
    assert refused.status_code == 200 and not LegalAcceptance.objects.exists()
    response = client.post("/legal/accept/", {"next": "/invoices/", "accept": "on"})
    assert response["Location"] == "/invoices/"
    assert LegalAcceptance.objects.filter(customer=world.alpha).count() == 2
    assert client.get("/invoices/").status_code == 200


def test_acceptance_is_per_customer_and_recorded_with_who_and_when(world):
    publish(world)
    world.client(world.alice).post("/legal/accept/", {"accept": "on"})
    acceptance = LegalAcceptance.objects.get(customer=world.alpha)
    assert acceptance.accepted_by.user == world.alice
    assert legal_documents_pending(tenant=world.acme, customer=world.bravo)  # bob's still open
    contract = world.client(world.alice).get("/contract/").content.decode()
    assert "terms 1" in contract and world.alice.email in contract


def test_a_newer_version_asks_again(world):
    publish(world)
    client = world.client(world.alice)
    client.post("/legal/accept/", {"accept": "on"})
    assert client.get("/").status_code == 200
    publish(world, version="2")
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "target", ["https://evil.test/", "//evil.example", "foo", "dashboard", "contract"]
)
def test_an_unsafe_next_is_ignored(world, target):
    publish(world)
    client = world.client(world.alice)
    response = client.post(f"/legal/accept/?next={target}", {"accept": "on"})
    assert response.status_code == 302 and response["Location"] == "/"
    response = client.get(f"/legal/accept/?next={target}")  # nothing (more) to accept
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_path_given_as_next_is_where_accepting_returns_to(world):
    publish(world)
    response = world.client(world.alice).post("/legal/accept/?next=/invoices/", {"accept": "on"})
    assert response["Location"] == "/invoices/"


def test_other_tenants_are_not_asked(world):
    publish(world)
    assert world.client(world.charlie).get("/").status_code == 200


def test_a_published_version_cannot_be_published_twice(world):
    from django.core.exceptions import ValidationError

    publish(world)
    with pytest.raises(ValidationError):
        publish(world)
