"""The catalogue-language test: modules, tariffs and their prices, options, packages and
departments are entered in each of the five languages. Pages show them in the page's language,
documents in the customer's (its own language, else the business's) as of the day they are
written; an empty translation falls back to the business's language, then to any filled one."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from billing.models import Invoice, TaxRate
from billing.payments.checkout import package_purchase_invoiced
from billing.run import services as billing
from core.api import TranslatedTextField
from core.api_keys import api_key_create
from core.models import ApiScope
from core.models.translated import pick_text
from core.roles import SYSTEM
from quotes.services import quote_add_recurring, quote_create_draft
from subscriptions.api.departments import DepartmentSerializer
from subscriptions.models import Department, Module, Option, SubscriptionEvent, TariffPrice
from subscriptions.services import (
    subscription_change_tariff,
    subscription_option_add,
    subscription_order,
)
from tests.conftest import client_for
from tests.factories import CustomerFactory, OptionFactory, PackageFactory, TariffFactory
from tests.helpers import admin_form_data

pytestmark = pytest.mark.django_db

HELPDESK = {"fr": "Service d'assistance", "de": "Kundendienst", "it": "Assistenza clienti"}
TEAM = {"fr": "Équipe", "de": "Gruppe", "it": "Squadra"}
AGENT = {"fr": "Agent supplémentaire", "de": "Zusätzlicher Agent"}


def translate(obj, **fields) -> None:
    for field, texts in fields.items():
        for language, text in texts.items():
            obj.set_text(field, language, text)
    obj.save()


@pytest.fixture
def catalogue(world):
    """Acme (English) sells Helpdesk — Team with an "Extra agent" option, translated; Alpha
    reads French, Bravo the business's English."""
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal("20"), is_default=True)
    tariff = TariffFactory(
        module__tenant=world.acme,
        module__name="Helpdesk",
        module__description="Shared inbox and tickets.",
        name="Team",
        price="49.00",
    )
    translate(
        tariff.module,
        name=HELPDESK,
        description={"fr": "Boîte partagée et tickets.", "de": "Gemeinsames Postfach."},
    )
    translate(tariff, name=TEAM)
    translate(tariff.prices.get(), description=TEAM)
    agent = OptionFactory(tenant=world.acme, name="Extra agent", unit_price="9.00")
    translate(agent, name=AGENT)
    tariff.options.add(agent)
    world.alpha.language = "fr"
    world.alpha.save()
    return tariff


def subscribe(world, tariff, customer, start=date(2026, 1, 15)):
    return subscription_order(customer=customer, tariff=tariff, actor=SYSTEM, start_on=start)


# --- documents ---------------------------------------------------------------------------


def test_the_billing_run_writes_each_customer_s_lines_in_their_language(world, catalogue):
    alpha_sub = subscribe(world, catalogue, world.alpha)
    bravo_sub = subscribe(world, catalogue, world.bravo)
    manager = world.staff["acme", "manager"]
    subscription_option_add(
        subscription=alpha_sub,
        option=catalogue.options.get(),
        quantity=1,
        actor=manager,
        today=date(2026, 1, 15),
    )
    billing.billing_run(today=date(2026, 1, 20))
    french = Invoice.objects.get(subscription=alpha_sub).lines.order_by("position")
    descriptions = [line.description for line in french]
    assert descriptions[0] == "Service d'assistance — Équipe"
    assert descriptions[1].startswith("Agent supplémentaire (")
    english = Invoice.objects.get(subscription=bravo_sub).lines.get()
    assert english.description == "Helpdesk — Team"


def test_the_billing_run_reads_no_catalogue_row_per_line(world, catalogue):
    """Four customers in four languages: the catalogue's texts come with the batch's rows."""
    customers = [world.alpha, world.bravo]
    for number, language in (("D-1", "de"), ("I-1", "it")):
        customers.append(CustomerFactory(tenant=world.acme, number=number, language=language))
    for customer in customers:
        subscribe(world, catalogue, customer)
    with CaptureQueriesContext(connection) as ctx:
        stats = billing.billing_run(today=date(2026, 1, 20))
    assert stats.invoices == 4
    # A lazy read per line would select from a catalogue table itself; the batch joins them.
    lazy_reads = [
        q["sql"]
        for q in ctx.captured_queries
        for table in ("module", "tariff", "tariffprice", "option")
        if f'FROM "subscriptions_{table}"' in q["sql"]
    ]
    assert lazy_reads == []
    lines = {
        inv.customer.language: inv.lines.get().description
        for inv in Invoice.objects.select_related("customer")
    }
    assert lines == {
        "fr": "Service d'assistance — Équipe",
        "": "Helpdesk — Team",
        "de": "Kundendienst — Gruppe",
        "it": "Assistenza clienti — Squadra",
    }


def test_invoices_finalized_one_by_one_carry_the_french_names(world, catalogue):
    """invoice_finalize's callers: a first invoice at ordering, a package's purchase."""
    sub = subscribe(world, catalogue, world.alpha, start=date(2026, 1, 15))
    first = billing.subscription_invoice_first(
        subscription=sub, today=date(2026, 1, 15), send=False
    )
    assert first.status == "open"
    assert first.lines.get().description == "Service d'assistance — Équipe"
    package = PackageFactory(
        tenant=world.acme, name="10 support tickets", description="For small teams."
    )
    translate(package, name={"fr": "10 tickets d'assistance"})
    invoice = package_purchase_invoiced(
        customer=world.alpha,
        package=package,
        actor=world.alice,
        today=date(2026, 1, 16),
        confirm_forfeit=False,
    )
    assert invoice.lines.get().description == "10 tickets d'assistance"
    # The order the customer follows in the portal is named in their language too.
    assert sub.orders.get().title == "Service d'assistance — Équipe"


def test_a_quote_s_recurring_line_is_written_in_the_customer_s_language(world, catalogue):
    quote = quote_create_draft(
        customer=world.alpha, actor=world.staff["acme", "manager"], today=date(2026, 1, 10)
    )
    line = quote_add_recurring(
        quote=quote,
        tariff=catalogue,
        actor=world.staff["acme", "manager"],
        start_on=date(2026, 2, 1),
    )
    assert line.description == "Service d'assistance — Équipe"


def test_a_finalized_invoice_keeps_its_text_when_a_translation_changes(world, catalogue):
    sub = subscribe(world, catalogue, world.alpha)
    billing.billing_run(today=date(2026, 1, 20))
    invoice = Invoice.objects.get(subscription=sub)
    translate(catalogue.module, name={"fr": "Centre d'aide"})
    translate(catalogue, name={"fr": "Groupe"})
    invoice.refresh_from_db()
    assert invoice.lines.get().description == "Service d'assistance — Équipe"
    page = world.client(world.alice).get(f"/invoices/{invoice.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Service d&#x27;assistance — Équipe" in text and "Centre d" not in text


# --- pages -------------------------------------------------------------------------------


def test_a_german_page_shows_the_german_names(world, catalogue):
    sub = subscribe(world, catalogue, world.alpha)  # a French customer reading German
    client = world.client(world.alice)
    for url in ("/subscriptions/", f"/subscriptions/{sub.pk}/", "/order/", "/"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="de")
        assert page.status_code == 200, url
        assert "Kundendienst" in page.content.decode(), url
    # The order's title is the customer's record, written in their French when they ordered
    # (the dashboard lists it); the catalogue's own names follow the page.
    for url in ("/subscriptions/", f"/subscriptions/{sub.pk}/", "/order/"):
        assert "Service d" not in client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    detail = client.get(f"/subscriptions/{sub.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Gemeinsames Postfach." in detail and "Gruppe" in detail
    catalogue_page = client.get("/order/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Zusätzlicher Agent" in catalogue_page


def test_an_empty_translation_falls_back_to_the_business_s_language(world, catalogue):
    client = world.client(world.alice)
    # Turkish: nothing entered, the business's English shows.
    page = client.get("/order/", HTTP_ACCEPT_LANGUAGE="tr").content.decode()
    assert "Helpdesk" in page and "Extra agent" in page
    # Italian: the name is entered, the description is not.
    page = client.get("/order/", HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "Assistenza clienti" in page and "Shared inbox and tickets." in page


def test_an_empty_business_text_falls_back_to_any_filled_one(world):
    module = Module(tenant=world.globex, name="Sauvegarde", description="")
    module.set_text("description", "it", "Copia cifrata.")
    assert module.text_in("description", "de") == "Copia cifrata."
    assert module.text_in("name", "de") == "Sauvegarde"  # the business's French
    assert module.text_in("name", "fr-ch") == "Sauvegarde"
    assert pick_text("", {}, "name", "fr") == ""
    assert pick_text("x", {"fr": "not a dict"}, "name", "fr") == "x"


# --- back office and API -------------------------------------------------------------------


def test_staff_enter_each_language_in_the_back_office_and_find_it_again(world, catalogue):
    client = client_for(world.staff["acme", "manager"], world.acme)
    url = f"/manage/subscriptions/option/{catalogue.options.get().pk}/change/"
    page = client.get(url)
    form = page.context["adminform"].form
    # Acme writes English in `name`: the four other languages each have their group.
    assert {"name_fr", "name_de", "name_it", "name_tr"} <= set(form.fields)
    assert form["name_fr"].value() == "Agent supplémentaire"
    assert "name_en" not in page.content.decode()
    data = admin_form_data(
        page, name_fr="Agent en plus", name_de="", name_it=" Agente extra ", description_tr="Ek"
    )
    assert client.post(url, data).status_code == 302
    option = Option.objects.get(pk=catalogue.options.get().pk)
    assert option.translations == {
        "fr": {"name": "Agent en plus"},
        "it": {"name": "Agente extra"},
        "tr": {"description": "Ek"},
    }
    again = client.get(url).context["adminform"].form
    assert again["name_it"].value() == "Agente extra" and again["name_de"].value() == ""
    # The business's own text stays required.
    refused = client.post(url, admin_form_data(page, name=""))
    assert refused.status_code == 200 and "name" in refused.context["adminform"].form.errors


def test_a_french_business_enters_english_as_a_translation(world):
    module = Module.objects.create(tenant=world.globex, name="Sauvegarde cloud")
    client = client_for(world.staff["globex", "manager"], world.globex)
    url = f"/manage/subscriptions/module/{module.pk}/change/"
    page = client.get(url)
    fields = set(page.context["adminform"].form.fields)
    assert "name_en" in fields
    rendered = page.content.decode()
    assert 'name="name_en"' in rendered and 'name="name_fr"' not in rendered
    data = admin_form_data(page, image=None, name_en="Cloud backup")
    assert client.post(url, data).status_code == 302
    module.refresh_from_db()
    assert module.translations == {"en": {"name": "Cloud backup"}}


def test_tariff_prices_are_translated_in_their_inline(world, catalogue):
    client = client_for(world.staff["acme", "manager"], world.acme)
    url = f"/manage/subscriptions/tariff/{catalogue.pk}/change/"
    page = client.get(url)
    assert 'name="prices-0-description_fr"' in page.content.decode()
    data = admin_form_data(page, **{"prices-0-description_de": "Mannschaft"})
    assert client.post(url, data).status_code == 302
    assert TariffPrice.objects.get(tariff=catalogue).translations["de"] == {
        "description": "Mannschaft"
    }


def test_the_api_gives_department_names_in_every_language(world):
    support = Department.objects.create(tenant=world.acme, name="Support")
    translate(support, name={"fr": "Assistance", "de": ""})
    _key, secret = api_key_create(
        tenant=world.acme, name="Helpdesk", scopes=[ApiScope.DEPARTMENTS_READ], actor=SYSTEM
    )
    response = client_for(None, world.acme).get(
        "/api/v1/departments/", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.status_code == 200
    [department] = response.json()
    assert department["name"] == "Support"
    assert department["names"] == {
        "en": "Support",
        "fr": "Assistance",
        "de": "Support",
        "it": "Support",
        "tr": "Support",
    }


def test_texts_by_language_round_trip_through_the_serializer_field(world):
    department = Department.objects.create(tenant=world.acme, name="Development")
    field = TranslatedTextField("name")
    given = field.run_validation({"fr": " Développement ", "de": "Entwicklung", "it": ""})
    for language, text in given.items():
        department.set_text("name", language, text)
    department.save()
    department.refresh_from_db()
    names = DepartmentSerializer(department).data["names"]
    assert names == {
        "en": "Development",
        "fr": "Développement",
        "de": "Entwicklung",
        "it": "Development",
        "tr": "Development",
    }
    assert field.run_validation(names) == names
    with pytest.raises(Exception, match="Unknown language"):
        field.run_validation({"xx": "?"})
    with pytest.raises(Exception, match="object"):
        field.run_validation(["fr"])


def test_e_mails_name_the_catalogue_in_each_reader_s_language(
    world, catalogue, eager_tasks, django_capture_on_commit_callbacks
):
    world.acme.notification_email = "ops@acme.test"
    world.acme.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(world, catalogue, world.alpha)
    sent = {address: message for message in mail.outbox for address in message.to}
    customer, business = sent["alice@example.test"], sent["ops@acme.test"]
    assert "Service d'assistance" in customer.subject
    assert "Équipe" in customer.body
    assert "Helpdesk" in business.subject and "Team" in business.body


def test_packages_and_departments_take_their_translations_in_the_back_office(world):
    package = PackageFactory(tenant=world.acme, name="10 tickets")
    department = Department.objects.create(tenant=world.acme, name="Support")
    client = client_for(world.staff["acme", "billing"], world.acme)
    url = f"/manage/subscriptions/package/{package.pk}/change/"
    page = client.get(url)
    assert "In the business's language (English)." in page.content.decode()
    data = admin_form_data(
        page,
        departments=[department.pk],
        name_fr="10 tickets d'assistance",
        description_de="Für kleine Teams.",
    )
    assert client.post(url, data).status_code == 302
    package.refresh_from_db()
    assert package.translations == {
        "fr": {"name": "10 tickets d'assistance"},
        "de": {"description": "Für kleine Teams."},
    }
    assert list(package.departments.all()) == [department]
    url = f"/manage/subscriptions/department/{department.pk}/change/"
    page = client.get(url)
    assert client.post(url, admin_form_data(page, name_tr="Destek")).status_code == 302
    department.refresh_from_db()
    assert department.text_in("name", "tr") == "Destek"
    assert department.text_in("name", "it") == "Support"


def test_a_tariff_change_records_the_tariffs_in_the_customers_language_whatever_the_page(
    world, catalogue
):
    """The change's event feeds the customer's confirmation e-mails: its tariff names are the
    customer's document language (French), not the language of the page that made it."""
    subscription = subscribe(world, catalogue, world.alpha)
    bigger = TariffFactory(module=catalogue.module, name="Business", price="99.00")
    translate(bigger, name={"fr": "Entreprise"})
    catalogue.allowed_changes.add(bigger)
    with translation.override("de"):
        subscription_change_tariff(
            subscription=subscription,
            target=bigger,
            actor=world.staff["acme", "manager"],
            today=date(2026, 1, 20),
        )
    event = SubscriptionEvent.objects.filter(subscription=subscription).latest("id")
    assert event.kind == "tariff_changed"  # an upgrade: at once
    assert event.data["from"] == "Service d'assistance — Équipe"
    assert event.data["to"] == "Service d'assistance — Entreprise"
