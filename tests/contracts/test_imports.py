"""Importing customers and contacts from CSV in the back office: a dry run reported row by row,
then a confirmed run through the services (rules and audit), all or nothing, for the roles that
may import, never touching another business's rows."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from contracts.models import Contact, Customer
from core.import_files import IMPORT_FOLDER
from core.models import AuditEntry
from core.roles import ContactRole
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

CUSTOMERS = "/manage/contracts/customer/"
CONTACTS = "/manage/contracts/contact/"


def staff(world, role="billing", tenant="acme"):
    return client_for(world.staff[tenant, role], getattr(world, tenant))


def upload(client, base: str, text: str):
    """The first step: the file is tried (a dry run) and the report shown."""
    file = SimpleUploadedFile("import.csv", text.encode("utf-8"), content_type="text/csv")
    return client.post(base + "import/", {"format": "0", "import_file": file})


def confirm(client, base: str, page):
    form = page.context["confirm_form"]
    return client.post(base + "process_import/", dict(form.initial))


def report(page) -> list[tuple[int, str, str]]:
    return [(r.number, r.import_type, r.label) for r in page.context["result"].rows]


def problems(page) -> dict[int, list[tuple[str, str]]]:
    return {r.number: r.problems for r in page.context["result"].rows if r.problems}


def customer_audits(world) -> list[str]:
    return sorted(
        AuditEntry.objects.filter(tenant=world.acme, action__startswith="customer.").values_list(
            "action", flat=True
        )
    )


GOOD_FILE = (
    "number,name,billing_city,billing_country,invoice_recipients\n"
    "A-1,Alpha Corp,Berlin,DE,billing@alpha.test; boss@alpha.test\n"  # A-1 exists: a change
    "B-1,Bravo Corp,,,\n"  # B-1 exists, as it stands: unchanged
    "N-1,Nova GmbH,Köln,de,\n"  # a new customer
)


def test_the_dry_run_reports_each_row_and_writes_nothing(world):
    before = customer_audits(world)
    page = upload(staff(world), CUSTOMERS, GOOD_FILE)

    assert page.status_code == 200
    assert report(page) == [
        (1, "update", "Alpha Corp (A-1)"),
        (2, "skip", "Bravo Corp (B-1)"),
        (3, "new", "Nova GmbH (N-1)"),
    ]
    rows = page.context["result"].rows
    assert ("billing_city", "", "Berlin") in rows[0].changes
    assert ("invoice_recipients", "", "billing@alpha.test, boss@alpha.test") in rows[0].changes
    assert ("billing_country", "", "DE") in rows[2].changes
    html = page.content.decode()
    assert "1 new, 1 updated, 1 unchanged" in html and 'name="confirm"' in html
    # Nothing stays: the services ran inside a transaction that was rolled back.
    assert not Customer.objects.filter(number="N-1").exists()
    world.alpha.refresh_from_db()
    assert world.alpha.billing_city == "" and world.alpha.invoice_recipients == []
    assert customer_audits(world) == before


def test_confirming_writes_through_the_services_with_their_audit(world):
    client = staff(world)
    page = upload(client, CUSTOMERS, GOOD_FILE)
    done = confirm(client, CUSTOMERS, page)

    assert done.status_code == 302 and done.url == CUSTOMERS
    nova = Customer.objects.get(tenant=world.acme, number="N-1")
    assert (nova.name, nova.billing_city, nova.billing_country) == ("Nova GmbH", "Köln", "DE")
    world.alpha.refresh_from_db()
    assert world.alpha.billing_city == "Berlin"
    assert world.alpha.invoice_recipients == ["billing@alpha.test", "boss@alpha.test"]
    entries = AuditEntry.objects.filter(
        tenant=world.acme, action__in=["customer.create", "customer.change"]
    )
    assert sorted(e.action for e in entries) == ["customer.change", "customer.create"]
    assert {e.actor_id for e in entries} == {world.staff["acme", "billing"].pk}
    # Bravo was unchanged: no audit entry, no write.
    assert not entries.filter(object_id=str(world.bravo.pk)).exists()
    assert "1 new, 1 updated, 1 unchanged" in client.get(CUSTOMERS).content.decode()


def test_bad_rows_are_refused_with_their_reasons_and_nothing_is_written(world):
    page = upload(
        staff(world),
        CUSTOMERS,
        "number,name,billing_country,vat_id,invoice_recipients,vat_regime\n"
        "N-1,Fine GmbH,DE,,,\n"
        "N-2,Bad Mail,DE,,not-an-address,\n"
        "N-3,Bad VAT,DE,DE123,,\n"
        "N-4,Nowhere,XX,,,\n"
        "N-5,Unknown regime,DE,,,sometimes\n"
        ",No number,DE,,,\n"
        "N-6,,DE,,,\n",
    )

    assert page.status_code == 200
    assert [(n, kind) for n, kind, _label in report(page)] == [
        (1, "new"),
        (2, "invalid"),
        (3, "invalid"),
        (4, "invalid"),
        (5, "invalid"),
        (6, "invalid"),
        (7, "invalid"),
    ]
    found = problems(page)
    assert found[2] == [("invoice_recipients", "Not an e-mail address: not-an-address")]
    assert found[3] == [("vat_id", "DE123 is not a valid VAT number (expected e.g. DE136695976).")]
    assert found[4] == [
        ("billing_country", "XX is not a country code (use the two-letter code, e.g. DE or FR).")
    ]
    assert found[5][0][0] == "vat_regime" and "sometimes is not one of" in found[5][0][1]
    assert found[6][0][0] == "number"
    assert found[7][0][0] == "name"
    html = page.content.decode()
    assert "6 rows refused" in html and 'name="confirm"' not in html
    assert not Customer.objects.filter(number__startswith="N-").exists()


def test_errors_are_given_in_the_staff_members_language(world):
    client = staff(world)
    client.cookies["django_language"] = "de"
    page = upload(client, CUSTOMERS, "number,name,vat_id\nN-3,Bad VAT,DE123\n")
    assert problems(page)[1] == [
        ("vat_id", "DE123 ist keine gültige USt-IdNr. (erwartet z. B. DE136695976).")
    ]


def test_a_row_refused_at_confirmation_rolls_back_the_whole_file(world):
    """Between the dry run and the confirmation the data changed: one row no longer passes the
    rules, so none is written."""
    world.acme.country = "DE"
    world.acme.save()
    client = staff(world)
    page = upload(
        client,
        CUSTOMERS,
        "number,name,vat_regime,vat_id\n"
        "N-1,Nova GmbH,,\n"
        "A-1,Alpha Corp,reverse_charge,FR40303265045\n",
    )
    assert [kind for _n, kind, _l in report(page)] == ["new", "update"]
    world.acme.country = "FR"  # reverse charge to a French buyer is no longer cross-border
    world.acme.save()

    done = confirm(client, CUSTOMERS, page)

    assert done.status_code == 400
    assert "Nothing was imported" in done.content.decode()
    assert [kind for _n, kind, _l in report(done)] == ["new", "invalid"]
    assert not Customer.objects.filter(number="N-1").exists()
    world.alpha.refresh_from_db()
    assert world.alpha.vat_regime == "standard"


def test_another_business_customers_are_never_found_nor_touched(world):
    """Globex's customer C-1 is not acme's: at acme the number names a new customer."""
    client = staff(world)
    page = upload(client, CUSTOMERS, "number,name\nC-1,Acme's own C\n")
    assert report(page) == [(1, "new", "Acme's own C (C-1)")]
    confirm(client, CUSTOMERS, page)
    world.charlie_co.refresh_from_db()
    assert world.charlie_co.name == "Charlie SA"
    assert Customer.objects.get(tenant=world.acme, number="C-1").name == "Acme's own C"


def test_a_confirmation_is_tied_to_its_uploader_and_used_once(world):
    billing = staff(world)
    page = upload(billing, CUSTOMERS, "number,name\nN-1,Nova\n")
    data = dict(page.context["confirm_form"].initial)
    # Another person at the same business cannot replay it, nor can a forged file name pass.
    assert staff(world, "manager").post(CUSTOMERS + "process_import/", data).status_code == 400
    forged = {**data, "import_file_name": "passwd"}
    assert billing.post(CUSTOMERS + "process_import/", forged).status_code == 400
    assert billing.post(CUSTOMERS + "process_import/", data).status_code == 302
    again = billing.post(CUSTOMERS + "process_import/", data)
    assert again.status_code == 302 and again.url.endswith("/import/")
    assert Customer.objects.filter(tenant=world.acme, number="N-1").count() == 1


@pytest.mark.parametrize("base", [CUSTOMERS, CONTACTS])
def test_support_staff_may_not_import(world, base):
    client = staff(world, "support")
    assert client.get(base + "import/").status_code == 403
    assert upload(client, base, "number,name\nN-1,Nova\n").status_code == 403
    assert client.post(base + "process_import/", {}).status_code == 403
    if base == CUSTOMERS:
        assert "/import/" not in client.get(base).content.decode()
    assert not Customer.objects.filter(number="N-1").exists()


def test_billing_staff_see_the_import_link_and_form(world):
    client = staff(world)
    assert CUSTOMERS + "import/" in client.get(CUSTOMERS).content.decode()
    page = client.get(CUSTOMERS + "import/")
    assert page.status_code == 200
    assert "billing_country" in page.content.decode()  # the columns it takes, by name


def test_the_model_rules_apply_as_one_by_one(world):
    """An exempt customer needs the article that exempts it (Customer.clean_vat_regime)."""
    page = upload(
        staff(world), CUSTOMERS, "number,name,vat_regime,vat_exemption_reason\nA-1,Alpha,exempt,\n"
    )
    assert [kind for _n, kind, _l in report(page)] == ["invalid"]
    assert problems(page)[1][0][0] == "vat_exemption_reason"


def test_a_file_without_the_number_column_is_refused_whole(world):
    page = upload(staff(world), CUSTOMERS, "name,billing_city\nNova,Köln\n")
    assert page.status_code == 200
    assert page.context["result"].has_errors()
    assert 'name="confirm"' not in page.content.decode()


# --- contacts --------------------------------------------------------------------------------


CONTACT_FILE = (
    "customer_number,email,full_name,role\n"
    "A-1,dora@example.test,Dora Diaz,billing\n"  # new person, new contact
    "A-1,ALICE@example.test,,owner\n"  # alice is Alpha's contact already, as owner
    "B-1,alice@example.test,,member\n"  # alice becomes a contact of Bravo too
    "A-1,bob@example.test,,\n"  # bob joins Alpha, as a member by default
)


def test_the_contact_dry_run_reports_each_row(world):
    page = upload(staff(world), CONTACTS, CONTACT_FILE)
    assert report(page) == [
        (1, "new", "dora@example.test — A-1"),
        (2, "skip", "ALICE@example.test — A-1"),
        (3, "new", "alice@example.test — B-1"),
        (4, "new", "bob@example.test — A-1"),
    ]
    assert not Contact.objects.filter(user__email="dora@example.test").exists()


def test_confirmed_contacts_are_added_through_the_service_with_audit(world):
    client = staff(world)
    done = confirm(client, CONTACTS, upload(client, CONTACTS, CONTACT_FILE))
    assert done.status_code == 302
    dora = Contact.objects.get(user__email="dora@example.test")
    assert (dora.customer, dora.role, dora.user.full_name) == (world.alpha, "billing", "Dora Diaz")
    assert Contact.objects.get(customer=world.bravo, user=world.alice).role == ContactRole.MEMBER
    assert Contact.objects.get(customer=world.alpha, user=world.bob).role == ContactRole.MEMBER
    assert AuditEntry.objects.filter(tenant=world.acme, action="contact.add").count() == 3


def test_a_contact_role_change_is_an_update(world):
    client = staff(world)
    page = upload(client, CONTACTS, "customer_number,email,role\nA-1,alice@example.test,member\n")
    assert report(page) == [(1, "update", "alice@example.test — A-1")]
    assert page.context["result"].rows[0].changes == [("role", "owner", "member")]
    confirm(client, CONTACTS, page)
    assert Contact.objects.get(customer=world.alpha, user=world.alice).role == "member"
    assert AuditEntry.objects.filter(action="contact.change").count() == 1


def test_bad_contact_rows_are_refused_and_another_business_customers_unknown(world):
    page = upload(
        staff(world),
        CONTACTS,
        "customer_number,email,role\n"
        "A-1,dora@example.test,billing\n"
        "C-1,eve@example.test,member\n"  # globex's customer: unknown here
        "A-1,not-an-address,member\n"
        "A-1,fay@example.test,boss\n"
        ",gus@example.test,member\n",
    )
    assert [kind for _n, kind, _l in report(page)] == ["new", *["invalid"] * 4]
    found = problems(page)
    assert found[2] == [("customer_number", "No customer has the number C-1.")]
    assert found[3] == [("email", "Not an e-mail address: not-an-address")]
    assert found[4][0][0] == "role"
    assert found[5][0][0] == "customer_number"
    assert 'name="confirm"' not in page.content.decode()
    assert not Contact.objects.filter(user__email="dora@example.test").exists()
    assert (
        not Contact.objects.filter(customer=world.charlie_co).exclude(user=world.charlie).exists()
    )


@pytest.mark.parametrize(
    "content",
    [
        "number,name\nN-1,Café\n".encode("latin-1"),  # not UTF-8
        b"",  # empty
        b"\x00\x01\x02PK\x03\x04",  # not text at all
        b"number,name\n",  # headers only
    ],
)
def test_a_malformed_file_is_a_form_error_not_a_server_error(world, content):
    file = SimpleUploadedFile("import.csv", content, content_type="text/csv")
    page = staff(world).post(CUSTOMERS + "import/", {"format": "0", "import_file": file})
    assert page.status_code == 200
    assert page.context["form"].errors or not page.context["result"].rows
    assert 'name="confirm"' not in page.content.decode() or not page.context["result"].rows
    assert not Customer.objects.filter(number="N-1").exists()


def test_an_unexpected_fault_refuses_the_row_without_showing_its_internals(world, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr("contracts.admin_impex.customer_create", broken)
    page = upload(staff(world), CUSTOMERS, "number,name\nN-1,Nova\n")
    assert page.status_code == 200
    assert [kind for _n, kind, _l in report(page)] == ["error"]
    assert problems(page)[1] == [
        ("", "This row could not be imported because of an unexpected error.")
    ]
    html = page.content.decode()
    assert "secret" not in html and 'name="confirm"' not in html


# --- limits, confirmations tied to their list, temporary files -----------------------------


def waiting_files() -> list[str]:
    try:
        return default_storage.listdir(IMPORT_FOLDER)[1]
    except FileNotFoundError:
        return []


@pytest.fixture(autouse=True)
def no_waiting_files():
    """The test storage lives as long as the test process: start each test without files."""
    for name in waiting_files():
        default_storage.delete(f"{IMPORT_FOLDER}/{name}")


def test_a_file_too_big_is_a_form_error_saying_what_to_do(world, monkeypatch):
    monkeypatch.setattr("core.admin_impex.IMPORT_MAX_BYTES", 100)
    page = upload(staff(world), CUSTOMERS, "number,name\n" + "N-1,Nova GmbH\n" * 20)
    assert page.status_code == 200
    error = page.context["form"].errors["import_file"][0]
    assert "at most 100" in error and "Split it into smaller files" in error
    assert 'name="confirm"' not in page.content.decode()
    assert not Customer.objects.filter(number="N-1").exists() and waiting_files() == []


def test_a_file_with_too_many_rows_is_a_form_error(world, monkeypatch):
    monkeypatch.setattr("core.admin_impex.IMPORT_MAX_ROWS", 3)
    client = staff(world)
    # Three rows, one with a line break in a quoted cell: within the limit.
    fits = 'number,name,billing_street\nN-1,Nova,"Hof 2\nHaus B"\nN-2,Two,\nN-3,Three,\n'
    assert upload(client, CUSTOMERS, fits).context["form"].errors == {}
    page = upload(client, CUSTOMERS, fits + "N-4,Four,\n")
    assert page.status_code == 200
    assert page.context["form"].errors["import_file"] == [
        "This file has 4 rows; an import takes at most 3. Split it into smaller files."
    ]
    assert "result" not in page.context or page.context["result"] is None


def test_a_confirmation_only_confirms_the_list_it_was_tried_for(world):
    """A customers file tried at the customer list cannot be confirmed as contacts."""
    client = staff(world)
    page = upload(client, CUSTOMERS, "number,name\nN-1,Nova\n")
    data = dict(page.context["confirm_form"].initial)
    assert client.post(CONTACTS + "process_import/", data).status_code == 400
    # Nor with the resource or format swapped on the way: the token says which.
    swapped = {**data, "resource": "1", "format": "1"}
    assert client.post(CUSTOMERS + "process_import/", swapped).status_code == 302
    assert Customer.objects.filter(tenant=world.acme, number="N-1").count() == 1
    assert not Contact.objects.filter(user__email="").exists()


def test_uploaded_files_are_deleted_once_used_or_refused(world):
    client = staff(world)
    refused = upload(client, CUSTOMERS, "number,name,billing_country\nN-1,Nova,XX\n")
    assert 'name="confirm"' not in refused.content.decode()
    assert waiting_files() == []  # it can never be confirmed
    page = upload(client, CUSTOMERS, "number,name\nN-1,Nova\n")
    assert len(waiting_files()) == 1
    assert confirm(client, CUSTOMERS, page).status_code == 302
    assert waiting_files() == []


def test_a_confirmation_that_fails_leaves_no_file_behind(world, monkeypatch):
    client = staff(world)
    page = upload(client, CUSTOMERS, "number,name\nN-1,Nova\n")

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("core.admin_impex.ImportMixin.process_dataset", broken)
    with pytest.raises(RuntimeError):
        confirm(client, CUSTOMERS, page)
    assert waiting_files() == []


def test_files_left_unconfirmed_are_purged_once_their_confirmation_expired(world):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from core.tasks import purge_import_files

    client = staff(world)
    with time_machine.travel(timezone.now() - timedelta(hours=25)):
        upload(client, CUSTOMERS, "number,name\nN-1,Old\n")
    fresh = upload(client, CUSTOMERS, "number,name\nN-2,Fresh\n")
    assert len(waiting_files()) == 2

    assert purge_import_files() == 1

    assert len(waiting_files()) == 1
    assert confirm(client, CUSTOMERS, fresh).status_code == 302
    assert Customer.objects.filter(tenant=world.acme, number="N-2").exists()
