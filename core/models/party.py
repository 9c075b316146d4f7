"""Who a party to a document is in law: the fields invoices must name it by, for the seller (the
business) and the buyer (its customer) alike. Kept as plain columns, one per mention, so that
documents and e-invoices are built from the same values and each can be validated on its own."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.validators import (
    normalize_tax_id,
    validate_siren,
    validate_siret,
    validate_tax_id,
)


def compact_digits(value: str) -> str:
    """303 265 045 → 303265045 (SIREN and SIRET are stored without their spaces)."""
    return "".join(value.split()).replace(".", "").replace("-", "")


class LegalIdentity(models.Model):
    legal_form = models.CharField(
        _("legal form"),
        max_length=40,
        blank=True,
        help_text=_("For example SAS, GmbH, S.r.l., A.Ş."),
    )
    # France
    siren = models.CharField(_("SIREN"), max_length=11, blank=True, validators=[validate_siren])
    siret = models.CharField(_("SIRET"), max_length=17, blank=True, validators=[validate_siret])
    rcs_city = models.CharField(
        _("RCS city"),
        max_length=100,
        blank=True,
        help_text=_("France: the city of the trade register, e.g. Paris for “RCS Paris”."),
    )
    # Germany
    register_court = models.CharField(
        _("register court"),
        max_length=100,
        blank=True,
        help_text=_("Germany: e.g. Amtsgericht Berlin-Charlottenburg."),
    )
    register_number = models.CharField(
        _("register number"),
        max_length=40,
        blank=True,
        help_text=_("Germany: e.g. HRB 123456 B."),
    )
    # Italy
    rea_number = models.CharField(
        _("REA number"), max_length=40, blank=True, help_text=_("Italy: e.g. MI-1234567.")
    )
    # Turkey
    tax_office = models.CharField(
        _("tax office"), max_length=100, blank=True, help_text=_("Turkey: the vergi dairesi.")
    )
    tax_id = models.CharField(
        _("other tax number"),
        max_length=20,
        blank=True,
        help_text=_(
            "Besides the VAT number: codice fiscale (Italy), VKN or TCKN (Turkey), "
            "Steuernummer (Germany)."
        ),
    )

    class Meta:
        abstract = True

    def clean_legal_identity(self, country: str) -> None:
        """Stores the numbers compact and checks what depends on more than one field: the other
        tax number by the party's country, the SIRET against the SIREN."""
        self.siren = compact_digits(self.siren)
        self.siret = compact_digits(self.siret)
        self.tax_id = normalize_tax_id(self.tax_id)
        errors: dict[str, ValidationError] = {}
        try:
            validate_tax_id(self.tax_id, country)
        except ValidationError as exc:
            errors["tax_id"] = exc
        if self.siren and self.siret and not self.siret.startswith(self.siren):
            errors["siret"] = ValidationError(
                _("The SIRET must begin with the SIREN."), code="siret_siren"
            )
        if errors:
            raise ValidationError(errors)
