from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer
from core.forms import EmailListField


class ContractEditForm(forms.ModelForm):
    """What a customer may change themselves: billing address, PO number, invoice delivery."""

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
            "po_number",
            "invoice_recipients",
            "document_delivery",
        ]
        widgets = {"document_delivery": forms.RadioSelect}

    def clean_billing_country(self) -> str:
        country = self.cleaned_data["billing_country"].strip().upper()
        if country and (len(country) != 2 or not country.isalpha()):
            raise forms.ValidationError(_("Use the two-letter country code, e.g. DE or FR."))
        return country


class LegalAcceptForm(forms.Form):
    accept = forms.BooleanField(
        label=_("I have read these documents and accept them for my company."),
        error_messages={"required": _("Please tick the box to accept the documents.")},
    )
