"""Back office: staff of acme can never list, open, search, autocomplete or post to globex's rows,
and can only do what their role grants."""

import json

import pytest

from contracts.models import Contact, Customer
from core.models import AuditEntry, StaffMembership
from core.roles import SYSTEM
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.helpers import admin_form_data

pytestmark = pytest.mark.django_db


def post_form(client, url, **overrides):
    """Post an admin form back as the page shows it, with some fields changed."""
    return client.post(url, admin_form_data(client.get(url), **overrides))


def staff_client(world, role, tenant=None):
    tenant = tenant or world.acme
    return client_for(world.staff[tenant.slug, role], tenant)


class TestEntering:
    def test_staff_enter_their_own_back_office_with_the_tenant_name_in_the_header(self, world):
        response = staff_client(world, "support").get("/manage/")
        assert response.status_code == 200
        assert b'<div id="site-name"><a href="/manage/">Acme</a>' in response.content

    def test_staff_of_another_tenant_are_refused(self, world):
        client = client_for(world.staff["globex", "owner"], world.acme)
        assert client.get("/manage/", follow=True).status_code == 403
        assert client.get("/manage/contracts/customer/", follow=True).status_code == 403

    def test_customers_are_refused(self, world):
        assert world.client(world.alice).get("/manage/", follow=True).status_code == 403

    def test_anonymous_visitors_are_sent_to_the_allauth_login(self, world):
        response = world.client(None).get("/manage/contracts/customer/", follow=True)
        assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
        assert response.status_code == 200

    def test_admins_own_login_form_is_not_used(self, world):
        response = world.client(None).get("/manage/login/?next=/manage/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


class TestScoping:
    def test_lists_show_only_the_tenants_rows(self, world):
        response = staff_client(world, "support").get("/manage/contracts/customer/")
        assert response.status_code == 200
        assert b"Alpha Corp" in response.content
        assert b"Charlie SA" not in response.content

    def test_search_does_not_reach_other_tenants(self, world):
        response = staff_client(world, "support").get("/manage/contracts/customer/?q=Charlie")
        assert b"Charlie SA" not in response.content
        assert b"0 customers" in response.content or b"0 results" in response.content

    def test_opening_another_tenants_row_is_a_404(self, world):
        client = staff_client(world, "owner")
        for path in (
            f"/manage/contracts/customer/{world.charlie_co.pk}/change/",
            f"/manage/contracts/customer/{world.charlie_co.pk}/delete/",
            f"/manage/contracts/customer/{world.charlie_co.pk}/history/",
            f"/manage/core/tenant/{world.globex.pk}/change/",
        ):
            assert client.get(path).status_code == 404, path

    def test_posting_to_another_tenants_row_changes_nothing(self, world):
        client = staff_client(world, "owner")
        response = client.post(
            f"/manage/contracts/customer/{world.charlie_co.pk}/change/",
            {"name": "Hijacked", "number": "X", "language": ""},
        )
        assert response.status_code == 404
        world.charlie_co.refresh_from_db()
        assert world.charlie_co.name == "Charlie SA"

    def test_bulk_delete_cannot_reach_another_tenants_rows(self, world):
        client = staff_client(world, "owner")
        client.post(
            "/manage/contracts/customer/",
            {
                "action": "delete_selected",
                "_selected_action": [world.charlie_co.pk],
                "post": "yes",
            },
        )
        assert Customer.objects.filter(pk=world.charlie_co.pk).exists()

    def test_autocomplete_offers_only_the_tenants_customers(self, world):
        response = staff_client(world, "billing").get(
            "/manage/autocomplete/",
            {
                "app_label": "contracts",
                "model_name": "contact",
                "field_name": "customer",
                "term": "",
            },
        )
        assert response.status_code == 200
        names = {row["text"] for row in json.loads(response.content)["results"]}
        assert any("Alpha Corp" in n for n in names)
        assert not any("Charlie" in n for n in names)

    def test_foreign_key_choices_are_scoped(self, world):
        response = staff_client(world, "owner").get("/manage/contracts/contact/add/")
        assert response.status_code == 200
        form = response.context["adminform"].form
        assert set(form.fields["customer"].queryset) == {world.alpha, world.bravo}

    def test_a_customer_created_by_staff_belongs_to_their_tenant(self, world):
        response = post_form(
            staff_client(world, "billing"),
            "/manage/contracts/customer/add/",
            name="Delta GmbH",
            number="D-1",
            language="de",
        )
        assert response.status_code == 302, response.content[:2000]
        assert Customer.objects.get(name="Delta GmbH").tenant == world.acme

    def test_the_tenant_page_shows_only_the_own_tenant(self, world):
        response = staff_client(world, "support").get("/manage/core/tenant/")
        assert b"Acme" in response.content and b"Globex" not in response.content

    def test_staff_and_audit_lists_are_scoped(self, world):
        client = staff_client(world, "owner")
        staff = client.get("/manage/core/staffmembership/")
        assert b"owner@acme.test" in staff.content and b"owner@globex.test" not in staff.content

    def test_contacts_added_by_email_join_the_staff_members_tenant(self, world):
        response = staff_client(world, "billing").post(
            "/manage/contracts/contact/add/",
            {
                "customer": world.alpha.pk,
                "email": "New.Person@Example.test",
                "full_name": "New",
                "role": "billing",
            },
        )
        assert response.status_code == 302
        contact = Contact.objects.get(user__email="new.person@example.test")
        assert contact.tenant == world.acme and contact.customer == world.alpha

    def test_a_contact_cannot_be_added_to_another_tenants_customer(self, world):
        response = staff_client(world, "owner").post(
            "/manage/contracts/contact/add/",
            {
                "customer": world.charlie_co.pk,
                "email": "x@example.test",
                "role": "owner",
            },
        )
        assert response.status_code == 200  # the form shows an error
        assert "customer" in response.context["adminform"].form.errors
        assert not Contact.objects.filter(user__email="x@example.test").exists()


class TestRoles:
    def test_support_may_look_but_not_change(self, world):
        client = staff_client(world, "support")
        url = f"/manage/contracts/customer/{world.alpha.pk}/change/"
        assert client.get(url).status_code == 200
        response = client.post(url, {"name": "Changed", "number": "A-1", "language": ""})
        assert response.status_code == 403
        world.alpha.refresh_from_db()
        assert world.alpha.name == "Alpha Corp"

    def test_billing_is_not_offered_delete_and_a_forced_delete_does_nothing(self, world):
        client = staff_client(world, "billing")
        listing = client.get("/manage/contracts/customer/")
        assert b"delete_selected" not in listing.content
        client.post(
            "/manage/contracts/customer/",
            {
                "action": "delete_selected",
                "_selected_action": [world.alpha.pk],
                "post": "yes",
            },
        )
        assert (
            client.post(
                f"/manage/contracts/customer/{world.alpha.pk}/delete/", {"post": "yes"}
            ).status_code
            == 403
        )
        assert Customer.objects.filter(pk=world.alpha.pk).exists()

    def test_managers_close_accounts_and_nobody_deletes_them(self, world):
        client = staff_client(world, "manager")
        listing = client.get("/manage/contracts/customer/").content
        assert b"close_accounts" in listing and b"delete_selected" not in listing
        client.post(
            "/manage/contracts/customer/",
            {"action": "close_accounts", "_selected_action": [world.bravo.pk]},
        )
        assert Customer.objects.get(pk=world.bravo.pk).closed_at is not None
        assert (
            client.post(
                f"/manage/contracts/customer/{world.alpha.pk}/delete/", {"post": "yes"}
            ).status_code
            == 403
        )

    def test_billing_staff_cannot_close_accounts(self, world):
        client = staff_client(world, "billing")
        assert b"close_accounts" not in client.get("/manage/contracts/customer/").content
        client.post(
            "/manage/contracts/customer/",
            {"action": "close_accounts", "_selected_action": [world.bravo.pk]},
        )
        assert Customer.objects.get(pk=world.bravo.pk).closed_at is None

    @pytest.mark.parametrize(
        "role,status",
        [
            ("support", 403),
            ("billing", 403),
            ("manager", 200),
            ("owner", 200),
        ],
    )
    def test_only_managers_and_up_see_the_staff_list(self, world, role, status):
        assert staff_client(world, role).get("/manage/core/staffmembership/").status_code == status

    def test_only_owners_add_staff(self, world):
        data = {"email": "new.staff@acme.test", "role": "support"}
        assert (
            staff_client(world, "manager")
            .post("/manage/core/staffmembership/add/", data)
            .status_code
            == 403
        )
        response = staff_client(world, "owner").post("/manage/core/staffmembership/add/", data)
        assert response.status_code == 302
        assert StaffMembership.objects.filter(
            tenant=world.acme, user__email="new.staff@acme.test"
        ).exists()

    def test_only_owners_change_the_tenants_settings(self, world):
        url = f"/manage/core/tenant/{world.acme.pk}/change/"
        assert staff_client(world, "manager").post(url, {"name": "X"}).status_code == 403
        client = staff_client(world, "owner")
        form = client.get(url).context["adminform"].form
        data = {k: v for k, v in form.initial.items() if v is not None and k != "logo"}
        data.update(
            {
                "name": "Acme Renamed",
                "domains-TOTAL_FORMS": "0",
                "domains-INITIAL_FORMS": "0",
                "quote_number_format": "OFF-{number:04d}",
                "quote_validity_days": "14",
                "quote_signature_required": "on",
                "quote_link_approval": "on",
            }
        )
        for key in ("self_registration_enabled", "staff_mfa_required"):
            if not data.get(key):
                data.pop(key, None)
        response = client.post(url, data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        world.acme.refresh_from_db()
        assert world.acme.name == "Acme Renamed"
        assert (world.acme.quote_number_format, world.acme.quote_validity_days) == (
            "OFF-{number:04d}",
            14,
        )
        assert world.acme.quote_signature_required and world.acme.quote_link_approval

    def test_the_audit_log_is_read_only_for_everyone(self, world):
        client = staff_client(world, "owner")
        post_form(client, "/manage/contracts/customer/add/", name="Echo")
        entry = AuditEntry.objects.filter(tenant=world.acme).first()
        assert client.get("/manage/core/auditentry/").status_code == 200
        assert client.get(f"/manage/core/auditentry/{entry.pk}/change/").status_code == 200
        response = client.post(f"/manage/core/auditentry/{entry.pk}/change/", {"action": "x"})
        assert response.status_code == 403
        assert (
            client.post(f"/manage/core/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code
            == 403
        )

    def test_the_user_table_is_for_platform_superusers_only(self, world):
        assert staff_client(world, "owner").get("/manage/core/user/").status_code == 403


class TestSuperusers:
    def test_superusers_see_every_tenant_and_can_pick_one(self, world):
        root = UserFactory(is_superuser=True)
        client = client_for(root, world.acme)
        everything = client.get("/manage/contracts/customer/")
        assert b"Alpha Corp" in everything.content and b"Charlie SA" in everything.content
        picked = client.get(f"/manage/contracts/customer/?tenant__id__exact={world.globex.pk}")
        assert b"Charlie SA" in picked.content and b"Alpha Corp" not in picked.content

    def test_superusers_use_the_platform_host_too(self, world):
        from django.test import Client

        root = UserFactory(is_superuser=True)
        client = Client(HTTP_HOST="localhost")
        client.force_login(root, backend="portal.accounts.TenantAuthenticationBackend")
        assert client.get("/manage/core/tenant/").status_code == 200


class TestQueryCounts:
    @pytest.mark.parametrize(
        "path",
        [
            "/manage/contracts/customer/",
            "/manage/contracts/contact/",
            "/manage/core/staffmembership/",
            "/manage/core/auditentry/",
        ],
    )
    def test_back_office_lists_cost_the_same_with_more_rows(self, world, path):
        from contracts.services import contact_add, customer_create
        from tests.helpers import assert_max_queries

        client = staff_client(world, "owner")
        client.get(path)
        with assert_max_queries(50) as few:
            assert client.get(path).status_code == 200
        baseline = len(few.captured_queries)
        for n in range(15):
            customer = customer_create(tenant=world.acme, name=f"Bulk {n}", actor=SYSTEM)
            contact_add(customer=customer, email=f"bulk{n}@example.test", actor=SYSTEM)
            StaffMembership.objects.create(tenant=world.acme, user=UserFactory(), role="support")
        with assert_max_queries(baseline):
            assert client.get(path).status_code == 200


class TestEveryModelIsScoped:
    """Each back-office page of tenant-owned rows: globex's row is a 404 for acme's owner to
    open, change, delete or view the history of, and never turns up in acme's lists or search."""

    @pytest.fixture
    def globex_rows(self, world):
        charlie_contact = Contact.objects.get(user=world.charlie)
        globex_owner = StaffMembership.objects.get(tenant=world.globex, role="owner")
        from core.audit import audit_record

        entry = audit_record(tenant=world.globex, actor=SYSTEM, action="probe.globex")
        return {
            "contracts/customer": (world.charlie_co, "Charlie"),
            "contracts/contact": (charlie_contact, "charlie@example.test"),
            "core/staffmembership": (globex_owner, "owner@globex.test"),
            "core/auditentry": (entry, "probe.globex"),
        }

    @pytest.mark.parametrize(
        "page",
        ["contracts/customer", "contracts/contact", "core/staffmembership", "core/auditentry"],
    )
    def test_another_tenants_row_is_out_of_reach(self, world, globex_rows, page):
        row, text = globex_rows[page]
        client = staff_client(world, "owner")
        for view in ("change", "delete", "history"):
            assert client.get(f"/manage/{page}/{row.pk}/{view}/").status_code == 404, view
        assert client.post(f"/manage/{page}/{row.pk}/change/", {}).status_code == 404
        assert client.post(f"/manage/{page}/{row.pk}/delete/", {"post": "yes"}).status_code == 404
        listing = client.get(f"/manage/{page}/", {"q": text})
        assert listing.status_code == 200
        assert row not in listing.context["cl"].result_list
        assert (
            listing.context["cl"].full_result_count
            == type(row).objects.filter(tenant=world.acme).count()
        )
        assert type(row).objects.filter(pk=row.pk).exists()


class TestForms:
    def test_a_duplicate_customer_number_is_a_form_error_not_a_500(self, world):
        client = staff_client(world, "billing")
        response = post_form(
            client,
            "/manage/contracts/customer/add/",
            name="Copycat",
            number="A-1",  # Alpha's
        )
        assert response.status_code == 200
        assert response.context["adminform"].form.non_field_errors()
        assert not Customer.objects.filter(name="Copycat").exists()

    def test_the_same_customer_number_is_fine_at_another_tenant(self, world):
        response = post_form(
            staff_client(world, "billing", world.globex),
            "/manage/contracts/customer/add/",
            name="Twin",
            number="A-1",
        )
        assert response.status_code == 302

    def test_staff_see_the_customers_contacts_on_its_page(self, world):
        response = staff_client(world, "support").get(
            f"/manage/contracts/customer/{world.alpha.pk}/change/"
        )
        assert world.alice.full_name.encode() in response.content

    def test_not_even_a_superuser_moves_a_customer_to_another_tenant(self, world):
        root = UserFactory(is_superuser=True)
        client = client_for(root, world.acme)
        page = client.get(f"/manage/contracts/customer/{world.alpha.pk}/change/")
        assert "tenant" not in page.context["adminform"].form.fields
        response = post_form(
            client,
            f"/manage/contracts/customer/{world.alpha.pk}/change/",
            tenant=world.globex.pk,
        )
        assert response.status_code == 302
        world.alpha.refresh_from_db()
        assert world.alpha.tenant == world.acme

    def test_businesses_are_never_deleted_only_deactivated(self, world):
        root = UserFactory(is_superuser=True)
        response = client_for(root, world.acme).post(
            f"/manage/core/tenant/{world.globex.pk}/delete/", {"post": "yes"}
        )
        assert response.status_code == 403


class TestOwners:
    def _post(self, world, membership, role, active=True):
        data = {"role": role}
        if active:
            data["is_active"] = "on"
        return staff_client(world, "owner").post(
            f"/manage/core/staffmembership/{membership.pk}/change/", data
        )

    def test_the_last_owner_cannot_be_demoted_or_deactivated(self, world):
        owner = StaffMembership.objects.get(tenant=world.acme, role="owner")
        for role, active in (("manager", True), ("owner", False)):
            response = self._post(world, owner, role, active)
            assert response.status_code == 200
            assert "last active owner" in str(response.context["adminform"].form.errors)
        owner.refresh_from_db()
        assert owner.role == "owner" and owner.is_active

    def test_with_a_second_owner_the_first_may_step_down(self, world):
        manager = StaffMembership.objects.get(tenant=world.acme, role="manager")
        assert self._post(world, manager, "owner").status_code == 302
        owner = StaffMembership.objects.get(tenant=world.acme, user__email="owner@acme.test")
        assert self._post(world, owner, "manager").status_code == 302
        owner.refresh_from_db()
        assert owner.role == "manager"
        assert AuditEntry.objects.filter(action="staff.change", object_id=str(owner.pk)).exists()


def test_custom_domains_are_set_by_superusers_and_audited(world):
    from core.models import Domain

    root = UserFactory(is_superuser=True)
    client = client_for(root, world.acme)
    url = f"/manage/core/tenant/{world.acme.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "logo"}
    for key in ("self_registration_enabled", "staff_mfa_required", "is_active"):
        if not data.get(key):
            data.pop(key, None)
    data.update(
        {
            "domains-TOTAL_FORMS": "1",
            "domains-INITIAL_FORMS": "0",
            "domains-0-host": "billing.acme.example",
        }
    )
    assert client.post(url, data).status_code == 302
    assert Domain.objects.get(host="billing.acme.example").tenant == world.acme
    assert AuditEntry.objects.filter(tenant=world.acme, action="tenant.domain_add").exists()
    # A tenant's own staff cannot touch domains: they decide where the business is served.
    owner_page = staff_client(world, "owner").get(url)
    assert owner_page.context["inline_admin_formsets"][0].has_add_permission is False


@pytest.mark.parametrize(
    "page",
    [
        "subscriptions/subscription",
        "subscriptions/tariff",
        "subscriptions/creditledgerentry",
        "subscriptions/order",
        "contracts/contact",
    ],
)
def test_sidebar_filters_never_name_another_tenants_rows(world, page):
    from subscriptions.models import Department
    from tests.factories import ModuleFactory

    ModuleFactory(tenant=world.globex, name="Globex Secret Module")
    Department.objects.create(tenant=world.globex, name="Globex Secret Department")
    content = staff_client(world, "support").get(f"/manage/{page}/").content.decode()
    assert "Globex Secret" not in content


def _globex_rows(world):
    """One globex row of every tenant-owned model the back office shows."""
    from datetime import date

    from contracts.services import legal_document_publish
    from subscriptions.credits import credits_adjust
    from subscriptions.models import Department, StageTemplate
    from subscriptions.orders import order_create
    from subscriptions.services import subscription_order
    from tests.factories import OptionFactory, PackageFactory, TariffFactory

    tariff = TariffFactory(module__tenant=world.globex)
    return {
        "subscriptions/module": tariff.module,
        "subscriptions/tariff": tariff,
        "subscriptions/option": OptionFactory(tenant=world.globex),
        "subscriptions/package": PackageFactory(tenant=world.globex),
        "subscriptions/department": Department.objects.create(tenant=world.globex, name="D"),
        "subscriptions/stagetemplate": StageTemplate.objects.create(
            tenant=world.globex, position=0, name="S"
        ),
        "subscriptions/subscription": subscription_order(
            customer=world.charlie_co, tariff=tariff, actor=SYSTEM, start_on=date(2026, 1, 1)
        ),
        "subscriptions/order": order_create(customer=world.charlie_co, title="O", actor=SYSTEM),
        "subscriptions/creditledgerentry": credits_adjust(
            customer=world.charlie_co, delta=5, reason="r", actor=world.staff["globex", "manager"]
        ),
        "contracts/legaldocument": legal_document_publish(
            tenant=world.globex, kind="terms", version="1", title="T", body="B", actor=SYSTEM
        ),
    }


@pytest.mark.parametrize(
    "page",
    [
        "subscriptions/module",
        "subscriptions/tariff",
        "subscriptions/option",
        "subscriptions/package",
        "subscriptions/department",
        "subscriptions/stagetemplate",
        "subscriptions/subscription",
        "subscriptions/order",
        "subscriptions/creditledgerentry",
        "contracts/legaldocument",
    ],
)
def test_every_new_back_office_page_keeps_other_tenants_out(world, page):
    row = _globex_rows(world)[page]
    client = staff_client(world, "owner")
    assert client.get(f"/manage/{page}/{row.pk}/change/").status_code == 404
    assert client.post(f"/manage/{page}/{row.pk}/change/", {}).status_code == 404
    listing = client.get(f"/manage/{page}/")
    assert listing.status_code == 200
    assert row not in listing.context["cl"].result_list
