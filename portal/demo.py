"""The demo world: two tenants in their own branding, staff for every role, three customers each.

Idempotent: running it again changes nothing (it finds what it made before by natural keys).
Later issues extend it so that the demo always shows every feature.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction

from contracts.models import Customer
from contracts.services import contact_add, customer_create
from core.models import Tenant, User
from core.roles import ContactRole, StaffRole
from core.services import staff_add, tenant_create

DEMO_PASSWORD = "kontor-demo"  # noqa: S105 — documented in the README, demo data only


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str
    colour: str
    locale: str
    currency: str
    timezone: str
    legal: dict
    customers: tuple[tuple[str, str], ...]  # (name, customer number)


DEMO_TENANTS = (
    DemoTenant(
        slug="acme",
        name="Acme",
        colour="#d1242f",
        locale="en",
        currency="EUR",
        timezone="Europe/Berlin",
        legal={
            "legal_name": "Acme Software GmbH",
            "address": "Hauptstraße 1\n10115 Berlin",
            "country": "DE",
            "vat_id": "DE123456789",
            "registration_number": "HRB 123456 B",
            "bank_account_holder": "Acme Software GmbH",
            "iban": "DE89370400440532013000",
            "bic": "COBADEFFXXX",
        },
        customers=(
            ("Northwind Traders", "C-1001"),
            ("Contoso Ltd", "C-1002"),
            ("Fabrikam AG", "C-1003"),
        ),
    ),
    DemoTenant(
        slug="globex",
        name="Globex",
        colour="#0a7d55",
        locale="fr",
        currency="EUR",
        timezone="Europe/Paris",
        legal={
            "legal_name": "Globex SAS",
            "address": "12 rue de la Paix\n75002 Paris",
            "country": "FR",
            "vat_id": "FR40303265045",
            "registration_number": "SIREN 303 265 045",
            "bank_account_holder": "Globex SAS",
            "iban": "FR1420041010050500013M02606",
            "bic": "PSSTFRPPPAR",
        },
        customers=(
            ("Initech SARL", "G-2001"),
            ("Umbrella SpA", "G-2002"),
            ("Stark Industries", "G-2003"),
        ),
    ),
)


def demo_logins() -> list[tuple[str, str, str]]:
    """(host slug, e-mail, what it is) for every demo login, as printed and documented."""
    rows = []
    for t in DEMO_TENANTS:
        for role in reversed(StaffRole):
            rows.append((t.slug, f"{role.value}@{t.slug}.test", f"staff, {role.label}"))
        for n, (name, _number) in enumerate(t.customers, start=1):
            rows.append((t.slug, f"customer{n}@{t.slug}.test", f"contact, owner of {name}"))
        first = t.customers[0][0]
        rows.append((t.slug, f"billing1@{t.slug}.test", f"contact, billing role at {first}"))
        rows.append((t.slug, f"member1@{t.slug}.test", f"contact, member role at {first}"))
    return rows


def _activate(user: User) -> None:
    """Demo logins work straight away: known password, verified address."""
    if not user.has_usable_password() or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": True}
    )


@transaction.atomic
def seed_demo() -> dict[str, int]:
    created = {"tenants": 0, "customers": 0}
    for spec in DEMO_TENANTS:
        tenant = Tenant.objects.filter(slug=spec.slug).first()
        if tenant is None:
            tenant = tenant_create(
                slug=spec.slug,
                name=spec.name,
                actor=None,
                primary_colour=spec.colour,
                locale=spec.locale,
                default_currency=spec.currency,
                timezone=spec.timezone,
                self_registration_enabled=spec.slug == "acme",
                **spec.legal,
            )
            created["tenants"] += 1
        for role in StaffRole:
            membership = staff_add(
                tenant=tenant, email=f"{role.value}@{spec.slug}.test", role=role, actor=None
            )
            _activate(membership.user)
        for n, (name, number) in enumerate(spec.customers, start=1):
            customer = Customer.objects.filter(tenant=tenant, number=number).first()
            if customer is None:
                customer = customer_create(tenant=tenant, name=name, number=number, actor=None)
                created["customers"] += 1
            owner = contact_add(
                customer=customer,
                email=f"customer{n}@{spec.slug}.test",
                full_name=f"{name.split()[0]} Owner",
                role=ContactRole.OWNER,
                actor=None,
            )
            _activate(owner.user)
            if n == 1:
                # The first customer also has a member and a billing contact, to show the roles.
                for role in (ContactRole.BILLING, ContactRole.MEMBER):
                    extra = contact_add(
                        customer=customer,
                        email=f"{role.value}1@{spec.slug}.test",
                        role=role,
                        actor=None,
                    )
                    _activate(extra.user)
    return created
