from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer
from core.forms import EmailListField


class ContractEditForm(forms.ModelForm):
    """What a customer may change themselves: billing address, tax numbers, PO number, buyer
    reference, invoice delivery. The registrations are the business's to record."""

    invoice_recipients = EmailListField(label=_("Invoice recipients"), required=False)

    class Meta:
        model = Customer
        fields = [
            "billing_company",
            "billing_street",
            "billing_street_2",
            "billing_postal_code",
            "billing_city",
            "billing_country",
            "vat_id",
            "tax_id",
            "po_number",
            "buyer_reference",
            "invoice_recipients",
            "document_delivery",
        ]
        widgets = {"document_delivery": forms.RadioSelect}

    def clean_billing_country(self) -> str:
        country = self.cleaned_data["billing_country"].strip().upper()
        if country and (len(country) != 2 or not country.isalpha()):
            raise forms.ValidationError(_("Use the two-letter country code, e.g. DE or FR."))
        return country

    def _update_errors(self, errors: ValidationError) -> None:
        # The model's rules may name a field this form does not show (the VAT regime a new VAT
        # number no longer fits): the customer sees them above the form, not as a crash.
        if hasattr(errors, "error_dict"):
            hidden = [field for field in errors.error_dict if field not in self.fields]
            for field in hidden:
                errors.error_dict.setdefault(NON_FIELD_ERRORS, []).extend(
                    errors.error_dict.pop(field)
                )
        super()._update_errors(errors)


class LegalAcceptForm(forms.Form):
    accept = forms.BooleanField(
        label=_("I have read these documents and accept them for my company."),
        error_messages={"required": _("Please tick the box to accept the documents.")},
    )
