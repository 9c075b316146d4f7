"""NestPay (EST, Asseco/Payten) virtual POS of the Turkish banks: the choices a business makes
in its payment settings, and each bank's 3-D gate and XML API addresses in one table."""

from __future__ import annotations

from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class NestPayBank(models.TextChoices):
    # Bank names are proper names: not translated.
    ISBANK = "isbank", "İş Bankası"
    AKBANK = "akbank", "Akbank"
    HALKBANK = "halkbank", "Halkbank"
    ZIRAAT = "ziraat", "Ziraat Bankası"


class NestPayMode(models.TextChoices):
    TEST = "test", _("Test")
    PRODUCTION = "production", _("Production")


class NestPayStoreType(models.TextChoices):
    # The values are NestPay's own `storetype` field values.
    PAY_3D = "3d_pay", _("3D Pay")
    PAY_3D_HOSTING = "3d_pay_hosting", _("3D Pay Hosting")


class NestPayEndpoints(NamedTuple):
    gate_url: str
    api_url: str


# Asseco's shared NestPay test environment serves every bank.
NESTPAY_TEST = NestPayEndpoints(
    gate_url="https://entegrasyon.asseco-see.com.tr/fim/est3Dgate",
    api_url="https://entegrasyon.asseco-see.com.tr/fim/api",
)

# Production hosts as published in open-source NestPay integrations (mewebstudio/pos
# config/pos_production.php, EstPos/EstV3Pos entries); not confirmed against the banks' own
# merchant documentation, which is not public. Ziraat's NestPay (Payten) POS is sanalpos2; its
# older PayFlex POS (sanalpos.ziraatbank.com.tr) is a different protocol. A business whose bank
# gave it another address enters it as an override.
NESTPAY_PRODUCTION: dict[str, NestPayEndpoints] = {
    NestPayBank.ISBANK: NestPayEndpoints(
        gate_url="https://sanalpos.isbank.com.tr/fim/est3Dgate",
        api_url="https://sanalpos.isbank.com.tr/fim/api",
    ),
    NestPayBank.AKBANK: NestPayEndpoints(
        gate_url="https://www.sanalakpos.com/fim/est3Dgate",
        api_url="https://www.sanalakpos.com/fim/api",
    ),
    NestPayBank.HALKBANK: NestPayEndpoints(
        gate_url="https://sanalpos.halkbank.com.tr/fim/est3Dgate",
        api_url="https://sanalpos.halkbank.com.tr/fim/api",
    ),
    NestPayBank.ZIRAAT: NestPayEndpoints(
        gate_url="https://sanalpos2.ziraatbank.com.tr/fim/est3Dgate",
        api_url="https://sanalpos2.ziraatbank.com.tr/fim/api",
    ),
}


def bank_endpoints(bank: str, mode: str) -> NestPayEndpoints:
    """The bank's own addresses for the mode (test: the shared Asseco environment)."""
    return NESTPAY_TEST if mode == NestPayMode.TEST else NESTPAY_PRODUCTION[bank]


NESTPAY_CURRENCIES = ["TRY", "EUR", "USD"]
INSTALLMENT_COUNTS = list(range(2, 13))


def default_nestpay_currencies() -> list[str]:
    return ["TRY"]


def validate_nestpay_currencies(value) -> None:
    if (
        not isinstance(value, list)
        or not value
        or "TRY" not in value
        or not all(c in NESTPAY_CURRENCIES for c in value)
    ):
        raise ValidationError(_("Choose the currencies accepted: TRY, and EUR or USD if wanted."))


def validate_installment_counts(value) -> None:
    if not isinstance(value, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n in INSTALLMENT_COUNTS for n in value
    ):
        raise ValidationError(_("Installment counts must be whole numbers from 2 to 12."))
