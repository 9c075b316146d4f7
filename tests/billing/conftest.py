from datetime import date
from decimal import Decimal

import pytest

from billing.documents.services import invoice_finalize
from billing.models import TaxRate
from core.roles import SYSTEM
from tests.billing.test_invoices import draft


@pytest.fixture
def invoice(world):
    """An open invoice of alice's customer: 100 + 19 % VAT."""
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal(19), is_default=True)
    return invoice_finalize(
        invoice=draft(world, ("Helpdesk", "1", "100")), actor=SYSTEM, today=date(2026, 3, 1)
    )
