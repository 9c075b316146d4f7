"""Customers and contacts in and out of the back office: the customer list exported as CSV or
XLSX, and customers and contacts imported from CSV through contracts.services.

Import files name their columns by the field (`number`, `billing_country`, …), the same in every
language; a row finds its customer by customer number within the staff member's business only,
so another business's customers are never found, let alone changed. A column left out of the
file leaves that field as it is. Who may import: `customers.import` (Billing and up, the roles
that add and change customers and contacts one by one)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets

from contracts.models import (
    Contact,
    Customer,
    DocumentDelivery,
    VatExemptionReason,
    VatRegime,
)
from contracts.services import contact_add, customer_create, customer_update
from core.admin_impex import (
    IsoDateWidget,
    ServiceResource,
    TranslatedHeadersMixin,
)
from core.roles import ContactRole
from core.validators import COUNTRY_CODES, normalize_vat_id

# --- the customer export ------------------------------------------------------------------


class CustomerExportResource(TranslatedHeadersMixin, resources.ModelResource):
    """The customer list: contract data, one row per customer, headed in the staff member's
    language."""

    number = fields.Field(attribute="number", column_name=gettext_lazy("customer number"))
    name = fields.Field(attribute="name", column_name=gettext_lazy("name"))
    language = fields.Field(attribute="language", column_name=gettext_lazy("document language"))
    billing_company = fields.Field(attribute="billing_company", column_name=gettext_lazy("company"))
    billing_street = fields.Field(
        attribute="billing_street", column_name=gettext_lazy("street and number")
    )
    billing_street_2 = fields.Field(
        attribute="billing_street_2", column_name=gettext_lazy("address line 2")
    )
    billing_postal_code = fields.Field(
        attribute="billing_postal_code", column_name=gettext_lazy("postal code")
    )
    billing_city = fields.Field(attribute="billing_city", column_name=gettext_lazy("city"))
    billing_country = fields.Field(attribute="billing_country", column_name=gettext_lazy("country"))
    vat_regime = fields.Field(attribute="vat_regime", column_name=gettext_lazy("VAT regime"))
    vat_id = fields.Field(attribute="vat_id", column_name=gettext_lazy("VAT number"))
    tax_id = fields.Field(attribute="tax_id", column_name=gettext_lazy("tax number"))
    po_number = fields.Field(attribute="po_number", column_name=gettext_lazy("PO number"))
    buyer_reference = fields.Field(
        attribute="buyer_reference", column_name=gettext_lazy("buyer reference")
    )
    invoice_recipients = fields.Field(
        attribute="invoice_recipients", column_name=gettext_lazy("invoice recipients")
    )
    payment_terms_days = fields.Field(
        attribute="payment_terms_days", column_name=gettext_lazy("payment terms (days)")
    )
    is_test_account = fields.Field(
        attribute="is_test_account", column_name=gettext_lazy("test account")
    )
    created_at = fields.Field(
        attribute="created_at", column_name=gettext_lazy("created"), widget=IsoDateWidget()
    )

    class Meta:
        model = Customer
        fields = [
            "number",
            "name",
            "language",
            "billing_company",
            "billing_street",
            "billing_street_2",
            "billing_postal_code",
            "billing_city",
            "billing_country",
            "vat_regime",
            "vat_id",
            "tax_id",
            "po_number",
            "buyer_reference",
            "invoice_recipients",
            "payment_terms_days",
            "is_test_account",
            "created_at",
        ]
        export_order = fields

    def dehydrate_invoice_recipients(self, customer: Customer) -> str:
        return ", ".join(customer.invoice_recipients or [])

    def dehydrate_is_test_account(self, customer: Customer) -> str:
        return "1" if customer.is_test_account else "0"


# --- import widgets: each says in the staff member's language what is wrong with a cell ------


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs) -> str:
        return "" if value is None else str(value).strip()


class CodeWidget(widgets.Widget):
    """One of a fixed set of codes (a VAT regime, a language). An empty cell: `blank`, or
    None — leave the field as it is — when the field cannot be empty."""

    def __init__(self, choices, *, blank: bool) -> None:
        super().__init__()
        self.codes = [str(code) for code, _label in choices]
        self.blank = blank

    def clean(self, value, row=None, **kwargs):
        value = "" if value is None else str(value).strip()
        if not value:
            return "" if self.blank else None
        if value not in self.codes:
            raise ValueError(
                _("%(value)s is not one of: %(codes)s.")
                % {"value": value, "codes": ", ".join(self.codes)}
            )
        return value


class CountryWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs) -> str:
        value = "" if value is None else str(value).strip().upper()
        if value and value not in COUNTRY_CODES:
            raise ValueError(
                _("%(value)s is not a country code (use the two-letter code, e.g. DE or FR).")
                % {"value": value}
            )
        return value


class VatIdWidget(widgets.Widget):
    """Normalized as the model keeps it (DE 136.695-976 → DE136695976), so a number written
    another way is no change; its check digits are the service's to check."""

    def clean(self, value, row=None, **kwargs) -> str:
        return normalize_vat_id("" if value is None else str(value))


class EmailListWidget(widgets.Widget):
    """Addresses separated by commas or semicolons."""

    def clean(self, value, row=None, **kwargs) -> list[str]:
        text = "" if value is None else str(value)
        addresses = [a.strip() for a in text.replace(";", ",").split(",") if a.strip()]
        bad = []
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                bad.append(address)
        if bad:
            raise ValueError(
                _("Not an e-mail address: %(addresses)s") % {"addresses": ", ".join(bad)}
            )
        return addresses


def _field(name: str, widget: widgets.Widget | None = None) -> fields.Field:
    # Headed by the field's name: an import file reads the same in every language.
    return fields.Field(
        attribute=name, column_name=name, widget=widget or TextWidget(), saves_null_values=False
    )


# --- the customer import ------------------------------------------------------------------


class CustomerImportResource(ServiceResource):
    """Customers by customer number: a new number is a new customer (customer_create), a known
    one is updated (customer_update) — both validate in full (VAT number, regime, address,
    uniqueness) and write the audit trail."""

    number = _field("number")
    name = _field("name")
    language = _field("language", CodeWidget(settings.LANGUAGES, blank=True))
    billing_company = _field("billing_company")
    billing_street = _field("billing_street")
    billing_street_2 = _field("billing_street_2")
    billing_postal_code = _field("billing_postal_code")
    billing_city = _field("billing_city")
    billing_country = _field("billing_country", CountryWidget())
    vat_regime = _field("vat_regime", CodeWidget(VatRegime.choices, blank=False))
    vat_exemption_reason = _field(
        "vat_exemption_reason", CodeWidget(VatExemptionReason.choices, blank=True)
    )
    vat_id = _field("vat_id", VatIdWidget())
    tax_id = _field("tax_id")
    po_number = _field("po_number")
    buyer_reference = _field("buyer_reference")
    invoice_recipients = _field("invoice_recipients", EmailListWidget())
    document_delivery = _field(
        "document_delivery", CodeWidget(DocumentDelivery.choices, blank=False)
    )

    class Meta(ServiceResource.Meta):
        model = Customer
        name = gettext_lazy("Customers")
        import_id_fields = ["number"]
        fields = [
            "number",
            "name",
            "language",
            "billing_company",
            "billing_street",
            "billing_street_2",
            "billing_postal_code",
            "billing_city",
            "billing_country",
            "vat_regime",
            "vat_exemption_reason",
            "vat_id",
            "tax_id",
            "po_number",
            "buyer_reference",
            "invoice_recipients",
            "document_delivery",
        ]
        import_order = fields

    def scoped_queryset(self):
        return Customer.objects.filter(tenant=self.tenant).select_related("tenant")

    def before_import_row(self, row, **kwargs) -> None:
        if not str(row.get("number") or "").strip():
            raise ValidationError(
                {"number": _("Each row needs a customer number: it says which customer it is.")}
            )

    def init_instance(self, row=None) -> Customer:
        return Customer(tenant=self.tenant)

    def row_label(self, row) -> str:
        number = str(row.get("number") or "").strip()
        name = str(row.get("name") or "").strip()
        return f"{name} ({number})" if name and number else name or number

    def write(self, instance: Customer, is_create: bool, row) -> None:
        if is_create:
            values = {
                f.attribute: getattr(instance, f.attribute)
                for f in self.get_import_fields()
                if f.attribute not in ("number", "name") and f.column_name in row
            }
            created = customer_create(
                tenant=self.tenant,
                name=instance.name,
                number=instance.number,
                actor=self.actor,
                **values,
            )
            instance.pk = created.pk
            self.note_changes({"name": instance.name, **values})
            return
        changes = self.changed_fields(instance, self._original)
        customer_update(customer=self._original, actor=self.actor, changes=changes)
        self.note_changes(changes, self._original)


# --- the contact import -------------------------------------------------------------------


class ContactImportResource(ServiceResource):
    """Contacts by customer number and e-mail address (contact_add): a person found or created
    by address and given the role for that customer; an existing contact changes role or comes
    back if it was deactivated. A person's name is theirs: it is only used for a new person."""

    customer_number = fields.Field(column_name="customer_number")
    email = fields.Field(column_name="email")
    full_name = fields.Field(column_name="full_name")
    role = _field("role", CodeWidget(ContactRole.choices, blank=False))

    class Meta(ServiceResource.Meta):
        model = Contact
        name = gettext_lazy("Contacts")
        import_id_fields: list[str] = []
        fields = ["customer_number", "email", "full_name", "role"]
        import_order = fields

    def scoped_queryset(self):
        return Contact.objects.filter(tenant=self.tenant).select_related("user", "customer")

    def _cell(self, row, name: str) -> str:
        return str(row.get(name) or "").strip()

    def before_import_row(self, row, **kwargs) -> None:
        errors: dict[str, Any] = {}
        number = self._cell(row, "customer_number")
        self._customer = None
        if not number:
            errors["customer_number"] = _("Each row needs the customer number of its customer.")
        else:
            self._customer = Customer.objects.filter(tenant=self.tenant, number=number).first()
            if self._customer is None:
                errors["customer_number"] = _("No customer has the number %(number)s.") % {
                    "number": number
                }
        email = self._cell(row, "email")
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = _("Not an e-mail address: %(addresses)s") % {
                "addresses": email or "–"
            }
        if errors:
            raise ValidationError(errors)

    def get_instance(self, instance_loader, row) -> Contact | None:
        return (
            self.get_queryset()
            .filter(customer=self._customer, user__email__iexact=self._cell(row, "email"))
            .first()
        )

    def init_instance(self, row=None) -> Contact:
        return Contact(tenant=self.tenant, customer=self._customer)

    def changed_fields(self, instance: Contact, original: Contact) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if instance.role != original.role:
            changes["role"] = instance.role
        if not original.is_active:
            changes["is_active"] = True
        return changes

    def row_label(self, row) -> str:
        return f"{self._cell(row, 'email')} — {self._cell(row, 'customer_number')}"

    def write(self, instance: Contact, is_create: bool, row) -> None:
        contact = contact_add(
            customer=self._customer,
            email=self._cell(row, "email"),
            full_name=self._cell(row, "full_name"),
            role=ContactRole(instance.role),
            actor=self.actor,
        )
        instance.pk, instance.user = contact.pk, contact.user
        if is_create:
            self.note_changes({"role": ContactRole(instance.role).label})
        else:
            self.note_changes(self.changed_fields(instance, self._original), self._original)
