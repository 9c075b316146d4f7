"""The demo business globex takes cards through NestPay (the virtual POS of its bank, isbank, in
test mode), answered by the local NestPay simulator that `make run` starts (bin/run).

The demo merchant below is the one the simulator is started with (`--merchant`, see
`simulator_merchant`); the simulator is addressed through the gate and API overrides. Without the
simulator, globex takes bank transfers and keeps its NestPay details pointing at the bank's own
test host, for an owner to switch over by hand.
"""

from __future__ import annotations

from decimal import Decimal

from billing.payments.models import (
    Gateway,
    NestPayBank,
    NestPayMode,
    NestPayStoreType,
    PaymentSettings,
)
from core.models import Tenant

DEMO_NESTPAY_TENANT = "globex"
DEMO_NESTPAY_CLIENT_ID = "100200300"
DEMO_NESTPAY_STORE_KEY = "KONTORDEMO2026"  # demo data only, documented in the README
DEMO_NESTPAY_API_USER = "kontordemo"
DEMO_NESTPAY_API_PASSWORD = "KontorDemo1"  # noqa: S105 — demo data only
DEMO_NESTPAY_SIMULATOR_PORT = 8430  # bin/run: KONTOR_NESTPAY_SIMULATOR_PORT
DEMO_NESTPAY_SIMULATOR_URL = f"http://127.0.0.1:{DEMO_NESTPAY_SIMULATOR_PORT}"
DEMO_NESTPAY_INSTALLMENTS = [2, 3, 6, 9, 12]
DEMO_NESTPAY_INSTALLMENTS_FROM = Decimal("1000.00")  # TRY


def simulator_merchant() -> str:
    """The simulator's `--merchant CLIENTID:STOREKEY:APIUSER:APIPASSWORD` for the demo merchant."""
    return ":".join(
        (
            DEMO_NESTPAY_CLIENT_ID,
            DEMO_NESTPAY_STORE_KEY,
            DEMO_NESTPAY_API_USER,
            DEMO_NESTPAY_API_PASSWORD,
        )
    )


def seed_nestpay(tenant: Tenant, *, simulator_url: str) -> PaymentSettings:
    """NestPay for the business, through the simulator at `simulator_url`; with no simulator
    (blank), bank transfer, its NestPay details left on the bank's test host. Idempotent."""
    settings, _made = PaymentSettings.objects.get_or_create(tenant=tenant)
    settings.gateway = Gateway.NESTPAY if simulator_url else Gateway.MANUAL
    settings.nestpay_bank = NestPayBank.ISBANK
    settings.nestpay_mode = NestPayMode.TEST
    base = simulator_url.rstrip("/")
    settings.nestpay_gate_url = f"{base}/fim/est3Dgate" if base else ""
    settings.nestpay_api_url = f"{base}/fim/api" if base else ""
    settings.nestpay_client_id = DEMO_NESTPAY_CLIENT_ID
    settings.nestpay_store_key = DEMO_NESTPAY_STORE_KEY
    settings.nestpay_api_user = DEMO_NESTPAY_API_USER
    settings.nestpay_api_password = DEMO_NESTPAY_API_PASSWORD
    settings.nestpay_store_type = NestPayStoreType.PAY_3D_HOSTING
    settings.nestpay_currencies = ["TRY"]
    settings.nestpay_installments = list(DEMO_NESTPAY_INSTALLMENTS)
    settings.nestpay_installments_min_amount = DEMO_NESTPAY_INSTALLMENTS_FROM
    settings.nestpay_installments_min_currency = "TRY"
    settings.full_clean()
    settings.save()
    return settings


def simulator_in_use(settings: PaymentSettings) -> bool:
    """True when the business's NestPay gate is a simulator on this machine."""
    return settings.nestpay_gate_url.startswith(("http://127.0.0.1:", "http://localhost:"))
