"""The customer's answers to a quote: approve (terms ticked, perhaps a typed name) or decline."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from contracts.models import LegalDocument

# A service's refusal, by its code, on the field the customer can fix.
FIELD_OF_CODE = {"terms": "accept_terms", "signature": "name"}


class QuoteApproveForm(forms.Form):
    accept_terms = forms.BooleanField(
        label=_("I accept the terms of this quote"),
        error_messages={"required": _("Accept the terms to approve the quote.")},
    )
    # The terms version the page showed: approving accepts exactly that one, and the service
    # refuses when the business published a newer one meanwhile.
    terms_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)
    name = forms.CharField(
        label=_("Type your full name to sign"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def __init__(
        self, *args, terms: LegalDocument | None, signature_required: bool, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.signature_required = signature_required
        self.fields["terms_id"].initial = terms.pk if terms else ""
        if terms is not None:
            self.fields["accept_terms"].label = _(
                "I accept %(title)s (version %(version)s) and this quote"
            ) % {"title": terms.title, "version": terms.version}
        if signature_required:
            self.fields["name"].required = True
            self.fields["name"].error_messages["required"] = _(
                "Type your full name to sign the approval."
            )
        else:
            del self.fields["name"]

    def clean_terms_id(self) -> int | None:
        value = self.cleaned_data["terms_id"].strip()
        if not value:
            return None
        if not value.isdigit():
            raise ValidationError(
                _("The terms were updated while you were reading. Please read them again."),
                code="terms_changed",
            )
        return int(value)

    def add_service_error(self, error: ValidationError) -> None:
        """A refusal from quote_approve, shown where the customer can act on it."""
        field = FIELD_OF_CODE.get(getattr(error, "code", None) or "")
        self.add_error(field if field in self.fields else None, error)


class QuoteDeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("It helps us make you a better offer."),
    )
