from datetime import date

import pytest

from core.roles import SYSTEM
from subscriptions.services import subscription_order
from tests.factories import ModuleFactory, OptionFactory, TariffFactory


@pytest.fixture
def plans(world):
    """Acme's helpdesk module: Basic (10/month), Pro (25/month), Pro yearly (250/year);
    Basic may go to either Pro, Pro back to Basic. An "extra seat" option on Basic and Pro."""
    helpdesk = ModuleFactory(tenant=world.acme, name="Helpdesk")
    basic = TariffFactory(
        module=helpdesk,
        name="Basic",
        price="10.00",
        notice_period_days=30,
        minimum_term_months=3,
        change_notice_days=14,
    )
    pro = TariffFactory(module=helpdesk, name="Pro", price="25.00")
    yearly = TariffFactory(module=helpdesk, name="Pro yearly", price="250.00", interval_months=12)
    basic.allowed_changes.add(pro, yearly)
    pro.allowed_changes.add(basic)
    seat = OptionFactory(tenant=world.acme, name="Extra seat", unit_price="3.333")
    basic.options.add(seat)
    pro.options.add(seat)
    return type(
        "Plans",
        (),
        {"helpdesk": helpdesk, "basic": basic, "pro": pro, "yearly": yearly, "seat": seat},
    )


@pytest.fixture
def alpha_basic(world, plans):
    """Alpha's Basic subscription, started 15 January 2026."""
    return subscription_order(
        customer=world.alpha, tariff=plans.basic, actor=SYSTEM, start_on=date(2026, 1, 15)
    )
