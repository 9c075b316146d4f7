"""Payment links: when a link sells, its public page for each kind of visitor, a stranger's
sign-up on it, and the back office that makes them."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from billing.ordering import link_views
from billing.ordering.links import (
    EXPIRED,
    INACTIVE,
    NOT_ON_SALE,
    USED_UP,
    payment_link_check,
    payment_link_tariffs,
)
from billing.ordering.models import Checkout, CheckoutStatus, PaymentLink
from contracts.models import Contact, Customer
from core.models import AuditEntry, Tenant, User
from tests.conftest import client_for
from tests.factories import ModuleFactory, OptionFactory, TariffFactory
from tests.helpers import admin_form_data, assert_hidden_from_other_tenants

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 10)


def make_link(tenant, *, tariffs=None, **fields) -> PaymentLink:
    if tariffs is None:
        tariffs = [TariffFactory(module__tenant=tenant, price="49.00")]
    link = PaymentLink.objects.create(
        tenant=tenant, name="Spring offer", module=tariffs[0].module, **fields
    )
    link.tariffs.set(tariffs)
    return link


def checkout(link, customer, status=CheckoutStatus.OPEN) -> Checkout:
    return Checkout.objects.create(
        tenant=link.tenant,
        customer=customer,
        key=uuid.uuid4(),
        tariff=link.tariffs.first(),
        payment_link=link,
        status=status,
        expires_at=timezone.now() + timedelta(days=1),
    )


def refusal(link, today=TODAY) -> str | None:
    try:
        payment_link_check(link=link, today=today)
    except ValidationError as exc:
        return exc.code
    return None


def checkout_location(tariff, link) -> str:
    return reverse("checkout_review", args=[tariff.pk]) + "?link=" + link.slug


SIGN_UP = {
    "company": "Wayne Enterprises",
    "street": "1007 Mountain Drive",
    "postal_code": "10115",
    "city": "Berlin",
    "country": "de",
    "vat_id": "DE 136 695 976",
    "full_name": "Bruce Wayne",
    "email": "Bruce@Wayne.test",
    "password": "a-long-and-unusual-passphrase-42",
}


# --- when a link sells ----------------------------------------------------------------


class TestCheck:
    def test_an_active_link_within_its_limits_sells(self, world):
        link = make_link(world.acme, max_uses=2, expires_on=TODAY)
        checkout(link, world.alpha)
        assert refusal(link) is None

    def test_a_switched_off_link_refuses(self, world):
        assert refusal(make_link(world.acme, is_active=False)) == INACTIVE

    def test_a_link_past_its_date_refuses(self, world):
        link = make_link(world.acme, expires_on=TODAY - timedelta(days=1))
        assert refusal(link) == EXPIRED
        assert refusal(link, today=TODAY - timedelta(days=1)) is None

    @pytest.mark.parametrize("status", [CheckoutStatus.OPEN, CheckoutStatus.COMPLETED])
    def test_a_link_whose_uses_are_taken_refuses(self, world, status):
        link = make_link(world.acme, max_uses=1)
        checkout(link, world.alpha, status=status)
        assert refusal(link) == USED_UP

    def test_expired_checkouts_give_their_use_back(self, world):
        link = make_link(world.acme, max_uses=1)
        checkout(link, world.alpha, status=CheckoutStatus.EXPIRED)
        assert refusal(link) is None

    def test_a_link_whose_tariffs_are_off_sale_refuses(self, world):
        link = make_link(world.acme)
        link.tariffs.update(is_active=False)
        assert refusal(link) == NOT_ON_SALE

    def test_a_link_whose_module_is_off_sale_refuses(self, world):
        link = make_link(world.acme)
        link.module.is_active = False
        link.module.save()
        assert refusal(link) == NOT_ON_SALE

    def test_with_the_lock_it_reads_the_link_afresh(self, world):
        link = make_link(world.acme)
        PaymentLink.objects.filter(pk=link.pk).update(is_active=False)
        assert link.is_active  # the caller's copy is stale
        with transaction.atomic(), pytest.raises(ValidationError) as exc:
            payment_link_check(link=link, today=TODAY, lock=True)
        assert exc.value.code == INACTIVE

    def test_its_tariffs_are_those_on_sale_by_position(self, world):
        module = ModuleFactory(tenant=world.acme)
        second = TariffFactory(module=module, position=2)
        first = TariffFactory(module=module, position=1)
        off = TariffFactory(module=module, position=0, is_active=False)
        link = make_link(world.acme, tariffs=[second, off, first])
        assert list(payment_link_tariffs(link)) == [first, second]


# --- the public page ------------------------------------------------------------------


class TestPage:
    def test_a_stranger_sees_the_offer_and_a_sign_up_form(self, world):
        tariff = TariffFactory(module__tenant=world.acme, price="49.00", minimum_term_months=3)
        option = OptionFactory(tenant=world.acme, name="Extra agent", unit_price="9.00")
        tariff.options.add(option)
        link = make_link(world.acme, tariffs=[tariff], description="Two months free.")
        link.options.add(option)
        response = client_for(None, world.acme).get(f"/buy/{link.slug}/")
        assert response.status_code == 200
        body = response.content.decode()
        for text in ("Spring offer", "Two months free.", tariff.module.name, "excl. VAT"):
            assert text in body
        assert "49.00" in body and "per month" in body and "3 months" in body
        assert "Extra agent" in body
        assert 'name="company"' in body and 'name="password"' in body
        assert "/accounts/login/?next=" in body  # "Already a customer? Log in"

    def test_every_contact_of_the_business_reaches_it_and_no_one_elses(self, world):
        assert_hidden_from_other_tenants(world, f"/buy/{make_link(world.acme).slug}/")

    def test_an_unknown_slug_is_a_404(self, world):
        assert client_for(None, world.acme).get("/buy/nothing-here/").status_code == 404

    def test_another_businesss_link_is_a_404(self, world):
        link = make_link(world.globex)
        for user in (None, world.alice):
            assert client_for(user, world.acme).get(f"/buy/{link.slug}/").status_code == 404
        assert world.client(world.charlie).get(f"/buy/{link.slug}/").status_code == 200

    @pytest.mark.parametrize(
        ("fields", "text"),
        [
            ({"is_active": False}, "switched off"),
            ({"expires_on": date(2020, 1, 1)}, "has expired"),
        ],
    )
    def test_a_link_that_no_longer_sells_says_why(self, world, fields, text):
        link = make_link(world.acme, **fields)
        response = client_for(None, world.acme).get(f"/buy/{link.slug}/")
        assert response.status_code == 410
        assert text in response.content.decode()
        assert client_for(None, world.acme).post(f"/buy/{link.slug}/", SIGN_UP).status_code == 410
        assert not User.objects.filter(email="bruce@wayne.test").exists()

    def test_a_used_up_link_says_so(self, world):
        link = make_link(world.acme, max_uses=1)
        checkout(link, world.bravo)
        response = world.client(world.alice).get(f"/buy/{link.slug}/")
        assert response.status_code == 410
        assert "used up" in response.content.decode()

    def test_a_contact_continues_to_the_checkout(self, world):
        link = make_link(world.acme)
        client = world.client(world.alice)
        page = client.get(f"/buy/{link.slug}/")
        body = page.content.decode()
        assert "Continue" in body and "Alpha Corp" in body and 'name="company"' not in body
        response = client.post(f"/buy/{link.slug}/")
        assert response.status_code == 302
        assert response["Location"] == checkout_location(link.tariffs.get(), link)

    def test_with_several_tariffs_the_buyer_picks_one_first(self, world):
        module = ModuleFactory(tenant=world.acme)
        small, large = TariffFactory(module=module, position=0), TariffFactory(module=module)
        link = make_link(world.acme, tariffs=[small, large])
        client = world.client(world.alice)
        assert client.get(f"/buy/{link.slug}/").content.decode().count('type="radio"') == 2
        assert client.post(f"/buy/{link.slug}/").status_code == 400  # nothing picked
        response = client.post(f"/buy/{link.slug}/", {"tariff": large.pk})
        assert response["Location"] == checkout_location(large, link)
        other = TariffFactory(module=module)  # of the module, but not of the link
        assert client.post(f"/buy/{link.slug}/", {"tariff": other.pk}).status_code == 400

    @pytest.mark.parametrize("who", ["owner", "support"])
    def test_staff_get_a_message_and_no_checkout(self, world, who):
        link = make_link(world.acme)
        client = world.client(world.staff["acme", who])
        page = client.get(f"/buy/{link.slug}/")
        body = page.content.decode()
        assert page.status_code == 200
        assert "not a contact of any customer" in body and "Continue" not in body
        assert 'name="company"' not in body
        assert client.post(f"/buy/{link.slug}/").status_code == 403

    def test_the_checkout_it_leads_to_opens_for_the_contact(self, world):
        link = make_link(world.acme)
        response = world.client(world.alice).post(f"/buy/{link.slug}/", follow=True)
        assert response.redirect_chain[0][0] == checkout_location(link.tariffs.get(), link)
        assert response.status_code == 200
        assert link.tariffs.get().name in response.content.decode()

    def test_the_modules_image_is_public_on_its_link(self, world):
        from django.core.files.base import ContentFile

        link = make_link(world.acme)
        anonymous = client_for(None, world.acme)
        assert anonymous.get(f"/buy/{link.slug}/image").status_code == 404  # none yet
        link.module.image.save("m.png", ContentFile(b"\x89PNG\r\n\x1a\n"))
        assert anonymous.get(f"/buy/{link.slug}/image").status_code == 200
        assert client_for(None, world.globex).get(f"/buy/{link.slug}/image").status_code == 404


# --- signing up on a link -------------------------------------------------------------


class TestSignUp:
    @pytest.mark.parametrize("self_registration", [True, False])
    def test_a_stranger_becomes_a_customer_and_goes_on_to_the_checkout(
        self, world, self_registration
    ):
        Tenant.objects.filter(pk=world.acme.pk).update(self_registration_enabled=self_registration)
        link = make_link(world.acme)
        client = client_for(None, world.acme)

        response = client.post(f"/buy/{link.slug}/", SIGN_UP)

        assert response.status_code == 302
        assert response["Location"] == checkout_location(link.tariffs.get(), link)
        user = User.objects.get(email="bruce@wayne.test")
        assert user.full_name == "Bruce Wayne"
        assert user.check_password(SIGN_UP["password"])
        assert EmailAddress.objects.filter(user=user, email=user.email, primary=True).exists()
        contact = Contact.objects.get(user=user)
        assert contact.role == "owner" and contact.tenant == world.acme
        customer = contact.customer
        assert (customer.name, customer.billing_company) == ("Wayne Enterprises",) * 2
        assert customer.billing_street == "1007 Mountain Drive"
        assert (customer.billing_postal_code, customer.billing_city) == ("10115", "Berlin")
        assert customer.billing_country == "DE"
        assert customer.vat_id == "DE136695976"
        assert AuditEntry.objects.filter(
            tenant=world.acme, action="payment_link.sign_up", object_id=str(customer.pk)
        ).exists()
        # Logged in as the new customer's owner: the checkout opens (its terms included).
        assert client.get(response["Location"]).status_code == 200
        # The page now offers the contact's way on.
        page = client.get(f"/buy/{link.slug}/").content.decode()
        assert "Wayne Enterprises" in page and 'name="company"' not in page

    def test_an_address_with_an_account_is_sent_to_log_in(self, world):
        link = make_link(world.acme)
        customers = Customer.objects.count()
        response = client_for(None, world.acme).post(
            f"/buy/{link.slug}/", {**SIGN_UP, "email": "ALICE@example.test"}
        )
        assert response.status_code == 400
        body = response.content.decode()
        assert "If it is yours and you have an account, please log in." in body
        assert "/accounts/login/?login=alice%40example.test&amp;next=%2Fbuy%2F" in body
        assert Customer.objects.count() == customers
        assert not world.alice.contacts.exclude(customer=world.alpha).exists()

    def test_another_businesss_login_is_not_handed_to_whoever_types_its_address(self, world):
        link = make_link(world.acme)
        response = client_for(None, world.acme).post(
            f"/buy/{link.slug}/", {**SIGN_UP, "email": "charlie@example.test"}
        )
        assert response.status_code == 400
        body = response.content.decode()
        # The same answer as for this business's own login: nothing tells where it has one.
        assert "If it is yours and you have an account, please log in." in body
        assert "?login=charlie%40example.test" in body
        assert not world.charlie.contacts.filter(tenant=world.acme).exists()
        assert not world.charlie.check_password(SIGN_UP["password"])

    @pytest.mark.parametrize(
        ("field", "value"),
        [("vat_id", "DE12"), ("country", "Germany"), ("password", "password"), ("email", "x")],
    )
    def test_bad_data_is_a_form_error_and_writes_nothing(self, world, field, value):
        link = make_link(world.acme)
        counts = (User.objects.count(), Customer.objects.count())
        response = client_for(None, world.acme).post(
            f"/buy/{link.slug}/", {**SIGN_UP, field: value}
        )
        assert response.status_code == 400
        assert 'class="errorlist' in response.content.decode()
        assert (User.objects.count(), Customer.objects.count()) == counts

    def test_with_several_tariffs_the_stranger_picks_one_while_signing_up(self, world):
        module = ModuleFactory(tenant=world.acme)
        small, large = TariffFactory(module=module), TariffFactory(module=module)
        link = make_link(world.acme, tariffs=[small, large])
        client = client_for(None, world.acme)
        assert client.post(f"/buy/{link.slug}/", SIGN_UP).status_code == 400
        assert not User.objects.filter(email="bruce@wayne.test").exists()
        response = client.post(f"/buy/{link.slug}/", {**SIGN_UP, "tariff": small.pk})
        assert response["Location"] == checkout_location(small, link)

    def test_one_network_cannot_sign_up_without_end(self, world, monkeypatch):
        monkeypatch.setattr(link_views, "SIGN_UPS_PER_IP_PER_HOUR", 2)
        link = make_link(world.acme)
        client = client_for(None, world.acme)
        for n in range(2):
            client.post(f"/buy/{link.slug}/", {**SIGN_UP, "email": f"p{n}@wayne.test"})
            client.logout()
        response = client.post(f"/buy/{link.slug}/", {**SIGN_UP, "email": "p9@wayne.test"})
        assert response.status_code == 400
        assert "Too many sign-ups" in response.content.decode()
        assert not User.objects.filter(email="p9@wayne.test").exists()
        assert User.objects.filter(email__endswith="@wayne.test").count() == 2


# --- the back office ------------------------------------------------------------------

ADD = "/manage/billing/paymentlink/add/"


class TestAdmin:
    def _form(self, world, user, **overrides):
        client = world.client(user)
        page = client.get(ADD)
        assert page.status_code == 200
        return client, admin_form_data(page, **overrides)

    def test_a_manager_makes_a_link_for_their_business(self, world):
        tariff = TariffFactory(module__tenant=world.acme)
        option = OptionFactory(tenant=world.acme)
        tariff.options.add(option)
        client, data = self._form(
            world,
            world.staff["acme", "manager"],
            name="Launch",
            module=tariff.module_id,
            tariffs=[tariff.pk],
            options=[option.pk],
            max_uses="5",
        )
        response = client.post(ADD, data)
        assert response.status_code == 302, response.content.decode()[:3000]
        link = PaymentLink.objects.get(name="Launch")
        assert link.tenant == world.acme and list(link.tariffs.all()) == [tariff]
        assert AuditEntry.objects.filter(action="payment_link.create").exists()
        listing = client.get("/manage/billing/paymentlink/").content.decode()
        assert f'data-copy="https://acme.localhost/buy/{link.slug}/"' in listing
        assert "0 / 5" in listing and "data-copy=" in listing

    def test_a_billing_clerk_may_look_but_not_make_one(self, world):
        link = make_link(world.acme)
        client = world.client(world.staff["acme", "billing"])
        assert client.get("/manage/billing/paymentlink/").status_code == 200
        assert client.get(ADD).status_code == 403
        change = f"/manage/billing/paymentlink/{link.pk}/change/"
        assert client.post(change, {"name": "Mine"}).status_code == 403
        assert PaymentLink.objects.get(pk=link.pk).name == "Spring offer"

    def test_another_modules_tariff_or_an_option_not_offered_is_a_form_error(self, world):
        tariff = TariffFactory(module__tenant=world.acme)
        stranger = TariffFactory(module__tenant=world.acme)
        option = OptionFactory(tenant=world.acme)  # offered by no tariff
        client, data = self._form(
            world,
            world.staff["acme", "manager"],
            name="Mixed",
            module=tariff.module_id,
            tariffs=[tariff.pk, stranger.pk],
            options=[option.pk],
        )
        response = client.post(ADD, data)
        assert response.status_code == 200
        body = response.content.decode()
        assert "Choose tariffs of the module" in body and "No chosen tariff offers" in body
        assert not PaymentLink.objects.filter(name="Mixed").exists()

    def test_another_businesss_tariff_cannot_be_chosen(self, world):
        tariff = TariffFactory(module__tenant=world.acme)
        theirs = TariffFactory(module__tenant=world.globex)
        client, data = self._form(
            world,
            world.staff["acme", "manager"],
            name="Theirs",
            module=tariff.module_id,
            tariffs=[theirs.pk],
        )
        assert client.post(ADD, data).status_code == 200
        assert not PaymentLink.objects.filter(name="Theirs").exists()

    def test_another_businesss_link_is_a_404_and_the_checkouts_are_listed(self, world):
        link = make_link(world.acme)
        checkout(link, world.alpha)
        theirs = make_link(world.globex)
        client = world.client(world.staff["acme", "owner"])
        page = client.get(f"/manage/billing/paymentlink/{link.pk}/change/")
        assert page.status_code == 200 and "Alpha Corp" in page.content.decode()
        assert client.get(f"/manage/billing/paymentlink/{theirs.pk}/change/").status_code == 404
