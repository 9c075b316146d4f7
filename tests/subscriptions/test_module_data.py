"""Module data: a module's own fields, their values on subscriptions, who may edit them."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditEntry
from core.roles import SYSTEM
from subscriptions.models import ModuleField, Subscription
from subscriptions.module_data import module_data_missing, subscription_module_data_save
from subscriptions.module_data_forms import module_data_form
from subscriptions.services import subscription_order
from tests.conftest import client_for
from tests.factories import ContactFactory
from tests.helpers import admin_form_data, assert_max_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel("2026-03-20 10:00:00+01:00", tick=False):
        yield


def _field(module, key, kind, editor="customer", position=0, **extra) -> ModuleField:
    return ModuleField.objects.create(
        tenant=module.tenant,
        module=module,
        key=key,
        kind=kind,
        editor=editor,
        position=position,
        label_en=extra.pop("label_en", key.replace("_", " ").capitalize()),
        **extra,
    )


@pytest.fixture
def fields(plans):
    """The helpdesk's fields: a support e-mail (customer, required), agents (staff, 1 to 50), a
    plan level (choice, Manager), a go-live date and an SLA yes/no (customer)."""
    module = plans.helpdesk
    return {
        "email": _field(
            module, "support_email", "text", required=True, max_length=40, label_fr="E-mail"
        ),
        "agents": _field(module, "agents", "number", "staff", 1, min_value=1, max_value=50),
        "level": _field(module, "level", "choice", "manager", 2, choices="Gold\nSilver"),
        "live": _field(module, "go_live", "date", position=3),
        "sla": _field(module, "sla", "yes_no", position=4),
    }


def _url(subscription) -> str:
    return f"/subscriptions/{subscription.pk}/module-data/"


def _contact(world, role) -> object:
    if role == "owner":
        return world.alice
    return ContactFactory(customer=world.alpha, role=role, user__email=f"{role}@alpha.test").user


def _staff(world, role):
    return client_for(world.staff["acme", role], world.acme)


def _admin_url(subscription) -> str:
    return f"/manage/subscriptions/subscription/{subscription.pk}/change/"


# --- each kind is validated ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("module_agents", "many", "Enter a number."),
        ("module_agents", "2.5", "Enter a whole number."),
        ("module_agents", "0", "At least 1."),
        ("module_agents", "51", "At most 50."),
        ("module_agents", "1e400", "This number is too large."),
        ("module_level", "Platinum", "Choose one of the choices offered."),
        ("module_go_live", "31/02/2026", "Enter a date like 2026-12-31."),
        ("module_go_live", "2026-02-31", "Enter a date like 2026-12-31."),
        ("module_support_email", "x" * 41, "At most 40 characters."),
        ("module_sla", "maybe", "Select a valid choice."),
    ],
)
def test_a_bad_value_is_a_form_error_never_a_500(world, alpha_basic, fields, name, value, message):
    data = {"module_support_email": "help@alpha.test", name: value}
    form = module_data_form(
        fields=list(fields.values()),
        actor=SYSTEM,
        tenant=world.acme,
        customer_id=world.alpha.pk,
        data=data,
    )
    assert not form.is_valid()
    assert any(message in e for e in form.errors[name])


def test_good_values_are_kept_in_their_kinds(world, alpha_basic, fields):
    subscription_module_data_save(
        subscription=alpha_basic,
        values={
            "support_email": " help@alpha.test ",
            "agents": "7",
            "level": "Gold",
            "go_live": "2026-04-01",
            "sla": "yes",
        },
        actor=SYSTEM,
    )
    alpha_basic.refresh_from_db()
    assert alpha_basic.module_data == {
        "support_email": "help@alpha.test",
        "agents": "7",
        "level": "Gold",
        "go_live": "2026-04-01",
        "sla": True,
    }


def test_decimal_numbers_keep_their_places(world, alpha_basic, plans):
    _field(plans.helpdesk, "quota", "number", "staff", decimal_places=2)
    subscription_module_data_save(subscription=alpha_basic, values={"quota": "2.5"}, actor=SYSTEM)
    assert alpha_basic.module_data == {"quota": "2.50"}
    with pytest.raises(ValidationError):
        subscription_module_data_save(
            subscription=alpha_basic, values={"quota": "2.555"}, actor=SYSTEM
        )


def test_the_service_refuses_an_unknown_key_and_a_bad_value(world, alpha_basic, fields):
    with pytest.raises(ValidationError) as unknown:
        subscription_module_data_save(
            subscription=alpha_basic, values={"colour": "red"}, actor=SYSTEM
        )
    assert "colour" in unknown.value.error_dict
    with pytest.raises(ValidationError):
        subscription_module_data_save(subscription=alpha_basic, values={"sla": 3.5}, actor=SYSTEM)
    alpha_basic.refresh_from_db()
    assert alpha_basic.module_data == {}


# --- required fields ---------------------------------------------------------------------------


def test_required_fields_are_required_and_reported_missing(world, alpha_basic, fields):
    form = module_data_form(
        fields=list(fields.values()),
        actor=world.alice,
        tenant=world.acme,
        customer_id=world.alpha.pk,
        data={"module_go_live": "2026-04-01"},
    )
    assert not form.is_valid()
    assert "module_support_email" in form.errors
    assert module_data_missing(fields=fields.values(), values={}) == [fields["email"]]
    assert module_data_missing(fields=fields.values(), values={"support_email": "a@b.test"}) == []
    subscription_module_data_save(
        subscription=alpha_basic, values={"support_email": "a@b.test"}, actor=SYSTEM
    )
    with pytest.raises(ValidationError):
        subscription_module_data_save(
            subscription=alpha_basic, values={"support_email": ""}, actor=SYSTEM
        )


def test_a_form_for_a_new_order_shows_only_what_the_customer_enters(world, fields):
    """The checkout builds the same form, for a subscription that does not exist yet."""
    form = module_data_form(
        fields=list(fields.values()),
        actor=world.alice,
        tenant=world.acme,
        customer_id=world.alpha.pk,
    )
    assert list(form.fields) == ["module_support_email", "module_go_live", "module_sla"]
    assert form.fields["module_support_email"].required


# --- labels ------------------------------------------------------------------------------------


def test_labels_follow_the_readers_language_then_the_business_then_english(world, fields):
    field = fields["email"]
    field.label_de = "Support-E-Mail"
    assert field.label("fr", "de") == "E-mail"
    assert field.label("it", "de") == "Support-E-Mail"
    assert field.label("it", "tr") == "Support email"
    assert field.label("pt-br", None) == "Support email"


def test_the_portal_page_shows_labels_in_the_readers_language(world, alpha_basic, fields):
    client = world.client(world.alice)
    french = client.get(f"/subscriptions/{alpha_basic.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "<dt>E-mail" in french.content.decode()
    german = client.get(f"/subscriptions/{alpha_basic.pk}/", HTTP_ACCEPT_LANGUAGE="de")
    assert "<dt>Support email" in german.content.decode()


# --- edit rights -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "editable"),
    [("owner", True), ("billing", False), ("member", False)],
)
def test_contacts_who_may_change_subscriptions_edit_customer_fields(
    world, alpha_basic, fields, role, editable
):
    client = world.client(_contact(world, role))
    page = client.get(_url(alpha_basic))
    assert page.status_code == 200
    assert ('name="module_support_email"' in page.content.decode()) is editable
    # Staff fields are never a contact's.
    assert 'name="module_agents"' not in page.content.decode()
    detail = client.get(f"/subscriptions/{alpha_basic.pk}/").content.decode()
    assert (f'href="{_url(alpha_basic)}"' in detail) is editable
    response = client.post(_url(alpha_basic), {"module_support_email": "new@alpha.test"})
    assert response.status_code == (302 if editable else 403)
    alpha_basic.refresh_from_db()
    assert (alpha_basic.module_data.get("support_email") == "new@alpha.test") is editable


def test_a_contact_posting_a_staff_field_gets_a_403_and_nothing_changes(world, alpha_basic, fields):
    response = world.client(world.alice).post(
        _url(alpha_basic), {"module_support_email": "new@alpha.test", "module_agents": "9"}
    )
    assert response.status_code == 403
    alpha_basic.refresh_from_db()
    assert alpha_basic.module_data == {}


def test_a_contact_may_post_a_staff_field_unchanged(world, alpha_basic, fields):
    subscription_module_data_save(subscription=alpha_basic, values={"agents": "4"}, actor=SYSTEM)
    response = world.client(world.alice).post(
        _url(alpha_basic), {"module_support_email": "new@alpha.test", "module_agents": "4"}
    )
    assert response.status_code == 302


def test_the_portal_form_shows_errors_for_bad_values(world, alpha_basic, fields):
    response = world.client(world.alice).post(
        _url(alpha_basic), {"module_support_email": "ok@alpha.test", "module_go_live": "soon"}
    )
    assert response.status_code == 200
    assert "Enter a date like 2026-12-31." in response.content.decode()


@pytest.mark.parametrize(
    ("role", "staff_field", "manager_field"),
    [("support", False, False), ("billing", True, False), ("manager", True, True)],
)
def test_staff_edit_by_their_role(world, alpha_basic, fields, role, staff_field, manager_field):
    for key, allowed in (
        ("agents", staff_field),
        ("level", manager_field),
        ("go_live", role != "support"),
    ):
        value = {"agents": "5", "level": "Gold", "go_live": "2026-05-01"}[key]
        user = world.staff["acme", role]
        if allowed:
            subscription_module_data_save(subscription=alpha_basic, values={key: value}, actor=user)
        else:
            with pytest.raises(PermissionDenied):
                subscription_module_data_save(
                    subscription=alpha_basic, values={key: value}, actor=user
                )


def test_billing_staff_edit_in_the_back_office_and_a_manager_field_is_a_form_error(
    world, alpha_basic, fields
):
    client = _staff(world, "billing")
    page = client.get(_admin_url(alpha_basic))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert form.fields["module_level"].disabled
    response = client.post(
        _admin_url(alpha_basic),
        admin_form_data(page, module_agents="12", module_support_email="desk@alpha.test"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    alpha_basic.refresh_from_db()
    assert alpha_basic.module_data == {"agents": "12", "support_email": "desk@alpha.test"}
    forced = client.post(
        _admin_url(alpha_basic), admin_form_data(page, module_agents="12", module_level="Gold")
    )
    assert forced.status_code == 200
    assert "You may not change some of these module fields." in forced.content.decode()
    bad = client.post(_admin_url(alpha_basic), admin_form_data(page, module_agents="999"))
    assert bad.status_code == 200
    assert "At most 50." in bad.content.decode()


def test_managers_edit_manager_fields_in_the_back_office(world, alpha_basic, fields):
    client = _staff(world, "manager")
    page = client.get(_admin_url(alpha_basic))
    response = client.post(_admin_url(alpha_basic), admin_form_data(page, module_level="Silver"))
    assert response.status_code == 302
    alpha_basic.refresh_from_db()
    assert alpha_basic.module_data == {"level": "Silver"}


def test_support_staff_see_the_values_only(world, alpha_basic, fields):
    subscription_module_data_save(subscription=alpha_basic, values={"agents": "3"}, actor=SYSTEM)
    page = _staff(world, "support").get(_admin_url(alpha_basic))
    assert page.status_code == 200
    assert "<dt>Agents</dt><dd>3</dd>" in page.content.decode()


def test_module_fields_are_defined_on_the_modules_page_by_managers(world, plans):
    url = f"/manage/subscriptions/module/{plans.helpdesk.pk}/change/"
    client = _staff(world, "manager")
    page = client.get(url)
    data = admin_form_data(
        page,
        image=None,
        **{
            "fields-TOTAL_FORMS": "1",
            "fields-0-key": "domain",
            "fields-0-kind": "choice",
            "fields-0-label_en": "Domain",
            "fields-0-editor": "customer",
            "fields-0-position": "0",
            "fields-0-max_length": "200",
            "fields-0-decimal_places": "0",
        },
    )
    response = client.post(url, data)
    assert response.status_code == 200  # a choice field needs choices
    assert "A choice field needs at least one choice." in response.content.decode()
    data["fields-0-kind"] = "text"
    assert client.post(url, data).status_code == 302
    field = plans.helpdesk.fields.get()
    assert (field.key, field.tenant) == ("domain", world.acme)
    assert _staff(world, "billing").post(url, data).status_code == 403


# --- audit, outsiders, ended -------------------------------------------------------------------


def test_a_change_is_audited_with_before_and_after(world, alpha_basic, fields):
    subscription_module_data_save(subscription=alpha_basic, values={"agents": "2"}, actor=SYSTEM)
    world.client(world.alice).post(
        _url(alpha_basic), {"module_support_email": "a@alpha.test", "module_sla": "no"}
    )
    entry = AuditEntry.objects.filter(action="subscription.module_data").latest("id")
    assert entry.actor == world.alice
    assert entry.before == {"support_email": None, "sla": None}
    assert entry.after == {"support_email": "a@alpha.test", "sla": False}


def test_an_unchanged_save_writes_no_audit_entry(world, alpha_basic, fields):
    subscription_module_data_save(subscription=alpha_basic, values={"agents": "2"}, actor=SYSTEM)
    count = AuditEntry.objects.filter(action="subscription.module_data").count()
    subscription_module_data_save(subscription=alpha_basic, values={"agents": "2"}, actor=SYSTEM)
    assert AuditEntry.objects.filter(action="subscription.module_data").count() == count


def test_another_customers_subscription_is_a_404(world, alpha_basic, fields):
    for method in ("get", "post"):
        response = getattr(world.client(world.bob), method)(
            _url(alpha_basic), {"module_support_email": "x@bravo.test"}
        )
        assert response.status_code == 404
    assert world.client(world.charlie).get(_url(alpha_basic)).status_code == 404
    alpha_basic.refresh_from_db()
    assert alpha_basic.module_data == {}


def test_a_module_without_fields_has_no_edit_page(world, alpha_basic):
    assert world.client(world.alice).get(_url(alpha_basic)).status_code == 404


def test_an_ended_subscription_keeps_its_data(world, alpha_basic, fields):
    Subscription.objects.filter(pk=alpha_basic.pk).update(status="ended")
    alpha_basic.refresh_from_db()
    with pytest.raises(ValidationError):
        subscription_module_data_save(
            subscription=alpha_basic, values={"agents": "2"}, actor=SYSTEM
        )


# --- query counts ------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_page_cache")
def test_the_subscription_page_costs_the_same_with_more_fields(world, plans):
    subscription = subscription_order(
        customer=world.alpha, tariff=plans.basic, actor=SYSTEM, start_on=date(2026, 1, 15)
    )
    client = world.client(world.alice)
    url = f"/subscriptions/{subscription.pk}/"
    _field(plans.helpdesk, "one", "text")
    client.get(url)
    with assert_max_queries(100) as few:
        assert client.get(url).status_code == 200
    for n in range(8):
        _field(plans.helpdesk, f"more_{n}", ("text", "number", "date", "yes_no")[n % 4], position=n)
    subscription_module_data_save(
        subscription=subscription, values={"more_0": "x", "more_1": "3"}, actor=SYSTEM
    )
    with assert_max_queries(len(few.captured_queries)):
        page = client.get(url)
    assert "More 1" in page.content.decode()


def test_a_decimal_comma_is_read_as_people_write_it(world, alpha_basic, plans):
    _field(plans.helpdesk, "quota", "number", "staff", decimal_places=1)
    subscription_module_data_save(subscription=alpha_basic, values={"quota": "2,5"}, actor=SYSTEM)
    assert alpha_basic.module_data == {"quota": "2.5"}


def test_the_page_shows_dates_and_answers_in_words(world, alpha_basic, fields):
    subscription_module_data_save(
        subscription=alpha_basic,
        values={"go_live": "2026-04-01", "sla": False, "support_email": "a@alpha.test"},
        actor=SYSTEM,
    )
    page = world.client(world.alice).get(f"/subscriptions/{alpha_basic.pk}/").content.decode()
    assert "<dd>1 Apr 2026</dd>" in page  # DATE_FORMAT (core/formats)
    assert "<dd>No</dd>" in page
