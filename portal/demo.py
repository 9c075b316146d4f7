"""The demo world: two tenants in their own branding, staff for every role, three customers each.

Idempotent: running it again changes nothing (it finds what it made before by natural keys).
Later issues extend it so that the demo always shows every feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from contracts.models import Customer
from contracts.selectors import legal_documents_current
from contracts.services import (
    contact_add,
    customer_create,
    legal_accept,
    legal_document_publish,
)
from core.api_keys import api_key_create
from core.models import ApiKey, ApiScope, Tenant, User
from core.roles import SYSTEM, ContactRole, StaffRole
from core.services import staff_add, tenant_create
from portal.demo_catalogue import (
    seed_catalogue,
    seed_invoices,
    seed_packages,
    seed_subscriptions,
)
from portal.demo_dunning import seed_dunning
from portal.demo_links import seed_link_purchase, seed_payment_links
from portal.demo_nestpay import DEMO_NESTPAY_SIMULATOR_URL, DEMO_NESTPAY_TENANT, seed_nestpay
from portal.demo_quotes import seed_quotes
from subscriptions.periods import local_today

DEMO_PASSWORD = "kontor-demo"  # noqa: S105 — documented in the README, demo data only
# Acme's demo helpdesk key (every scope), documented in the README like the password.
DEMO_API_KEY = "ktr_demoacme_kontor-demo-helpdesk-key"


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str
    colour: str
    locale: str
    currency: str
    timezone: str
    legal: dict
    customers: tuple[tuple[str, str, dict], ...]  # (name, customer number, contract data)


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
            "legal_form": "GmbH",
            "address_line_1": "Hauptstraße 1",
            "postal_code": "10115",
            "city": "Berlin",
            "country": "DE",
            "vat_id": "DE123456704",
            "tax_id": "1118150815",
            "register_court": "Amtsgericht Berlin-Charlottenburg",
            "register_number": "HRB 123456 B",
            "registered_office": "Berlin",
            "share_capital": Decimal("25000.00"),
            "share_capital_currency": "EUR",
            "managing_directors": "Erika Mustermann, Max Mustermann",
            "contact_name": "Buchhaltung Acme",
            "contact_email": "billing@acme.test",
            "contact_phone": "+49 30 1234567",
            "bank_account_holder": "Acme Software GmbH",
            "iban": "DE89370400440532013000",
            "bic": "COBADEFFXXX",
        },
        customers=(
            (
                "Northwind Traders",
                "C-1001",
                {
                    "billing_company": "Northwind Traders GmbH",
                    "billing_street": "Marktplatz 5",
                    "billing_postal_code": "80331",
                    "billing_city": "München",
                    "billing_country": "DE",
                    "vat_id": "DE811907980",
                    "legal_form": "GmbH",
                    "buyer_reference": "04011000-12345-67",
                    "einvoice_format": "xrechnung",  # receives the XRechnung with each invoice
                    "po_number": "NW-2026-17",
                    "invoice_recipients": ["ap@northwind.test"],
                },
            ),
            (
                "Contoso Ltd",
                "C-1002",
                {
                    "billing_street": "1 Harbour Road",
                    "billing_postal_code": "D02 X285",
                    "billing_city": "Dublin",
                    "billing_country": "IE",
                    "vat_id": "IE6388047V",
                    "vat_regime": "reverse_charge",
                    "language": "en",
                },
            ),
            (
                "Fabrikam AG",
                "C-1003",
                {
                    "billing_street": "Bahnhofstrasse 10",
                    "billing_postal_code": "8001",
                    "billing_city": "Zürich",
                    "billing_country": "CH",
                    "vat_regime": "out_of_scope",
                    "payment_terms_days": 30,
                    "document_delivery": "link",
                    "language": "de",
                },
            ),
        ),
    ),
    DemoTenant(
        slug="globex",
        name="Globex",
        colour="#0a7d55",
        locale="fr",
        # Globex sells in Turkish lira and takes cards through NestPay (portal/demo_nestpay.py).
        currency="TRY",
        timezone="Europe/Paris",
        legal={
            "legal_name": "Globex",
            "legal_form": "SAS",
            "address_line_1": "12 rue de la Paix",
            "postal_code": "75002",
            "city": "Paris",
            "country": "FR",
            "vat_id": "FR40303265045",
            "siren": "303265045",
            "siret": "30326504500003",
            "rcs_city": "Paris",
            "share_capital": Decimal("50000.00"),
            "share_capital_currency": "EUR",
            "managing_directors": "Claire Dupont (présidente)",
            "contact_name": "Service comptabilité",
            "contact_email": "compta@globex.test",
            "contact_phone": "+33 1 23 45 67 89",
            "bank_account_holder": "Globex SAS",
            "iban": "FR1420041010050500013M02606",
            "bic": "PSSTFRPPPAR",
            # The French B2B mentions: late-payment rate (the ECB's rate plus 10 points), no
            # early-payment discount, services, VAT on debits.
            "late_payment_interest_rate": Decimal("12.15"),
            "operation_category": "services",
            "vat_on_debits": True,
        },
        customers=(
            (
                "Initech SARL",
                "G-2001",
                {
                    "billing_street": "8 avenue Foch",
                    "billing_postal_code": "69006",
                    "billing_city": "Lyon",
                    "billing_country": "FR",
                    "vat_id": "FR83404833048",
                    "language": "fr",
                },
            ),
            (
                "Umbrella SpA",
                "G-2002",
                {
                    "billing_street": "Via Roma 1",
                    "billing_postal_code": "20121",
                    "billing_city": "Milano",
                    "billing_country": "IT",
                    "vat_id": "IT00743110157",
                    "tax_id": "00743110157",
                    "legal_form": "S.p.A.",
                    "rea_number": "MI-1234567",
                    "vat_regime": "reverse_charge",
                    "language": "it",
                },
            ),
            (
                "Stark Industries",
                "G-2003",
                {
                    "billing_street": "Büyükdere Cd. 100",
                    "billing_postal_code": "34394",
                    "billing_city": "İstanbul",
                    "billing_country": "TR",
                    "legal_form": "A.Ş.",
                    "tax_office": "Büyük Mükellefler",
                    "tax_id": "1234567890",
                    "vat_regime": "out_of_scope",
                    "language": "tr",
                    "is_test_account": True,
                },
            ),
        ),
    ),
)


def demo_logins() -> list[tuple[str, str, str]]:
    """(host slug, e-mail, what it is) for every demo login, as printed and documented."""
    rows = []
    for t in DEMO_TENANTS:
        for role in reversed(StaffRole):
            rows.append((t.slug, f"{role.value}@{t.slug}.test", f"staff, {role.label}"))
        for n, (name, _number, _contract) in enumerate(t.customers, start=1):
            note = " (is asked to accept the terms first)" if n == 2 else ""
            rows.append((t.slug, f"customer{n}@{t.slug}.test", f"contact, owner of {name}{note}"))
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
def seed_demo(*, nestpay_simulator: str = DEMO_NESTPAY_SIMULATOR_URL) -> dict[str, int]:
    """`nestpay_simulator`: the NestPay simulator globex pays through (bin/run starts it);
    blank when there is none: globex then takes bank transfers."""
    created = {"tenants": 0, "customers": 0}
    for spec in DEMO_TENANTS:
        tenant = Tenant.objects.filter(slug=spec.slug).first()
        if tenant is None:
            tenant = tenant_create(
                slug=spec.slug,
                name=spec.name,
                actor=SYSTEM,
                primary_colour=spec.colour,
                locale=spec.locale,
                default_currency=spec.currency,
                timezone=spec.timezone,
                self_registration_enabled=spec.slug == "acme",
                # Acme lets quotes be approved from their e-mailed link; Globex asks to log in.
                quote_link_approval=spec.slug == "acme",
                notification_email=f"sales@{spec.slug}.test",
                notification_cc_emails=[f"accounts@{spec.slug}.test"],
                # Acme sells paid support: its customers are warned below 3 credits and may
                # choose an automatic top-up on their Credits page.
                low_balance_threshold=3 if spec.slug == "acme" else None,
                **spec.legal,
            )
            created["tenants"] += 1
        for role in StaffRole:
            membership = staff_add(
                tenant=tenant, email=f"{role.value}@{spec.slug}.test", role=role, actor=SYSTEM
            )
            _activate(membership.user)
        documents = legal_documents_current(tenant=tenant) or [
            legal_document_publish(tenant=tenant, actor=SYSTEM, **doc) for doc in _legal_texts(spec)
        ]
        for n, (name, number, contract) in enumerate(spec.customers, start=1):
            customer = Customer.objects.filter(tenant=tenant, number=number).first()
            if customer is None:
                customer = customer_create(
                    tenant=tenant, name=name, number=number, actor=SYSTEM, **contract
                )
                created["customers"] += 1
            owner = contact_add(
                customer=customer,
                email=f"customer{n}@{spec.slug}.test",
                full_name=f"{name.split()[0]} Owner",
                role=ContactRole.OWNER,
                actor=SYSTEM,
            )
            _activate(owner.user)
            if n != 2:
                # The second customer has not accepted the terms yet: its owner is asked first.
                legal_accept(contact=owner, documents=documents, actor=owner.user)
            if n == 1:
                # The first customer also has a member and a billing contact, to show the roles.
                for role in (ContactRole.BILLING, ContactRole.MEMBER):
                    extra = contact_add(
                        customer=customer,
                        email=f"{role.value}1@{spec.slug}.test",
                        role=role,
                        actor=SYSTEM,
                    )
                    _activate(extra.user)
        tariffs = seed_catalogue(tenant)
        today = local_today(timezone.now(), tenant.timezone)
        seed_subscriptions(tenant, tariffs, today=today)
        seed_packages(tenant, today=today)
        seed_api_key(tenant)
        seed_invoices(tenant, today=today)
        seed_dunning(tenant, today=today)
        seed_quotes(tenant, tariffs, today=today)
        welcome, _pick = seed_payment_links(tenant, tariffs)
        seed_link_purchase(tenant, welcome, today=today)
        if spec.slug == DEMO_NESTPAY_TENANT:
            # Last: the history above was paid by bank transfer; from now on cards, at the bank.
            seed_nestpay(tenant, simulator_url=nestpay_simulator)
    return created


def _legal_texts(spec: DemoTenant) -> list[dict]:
    return [
        {
            "kind": "terms",
            "version": "2026-01",
            "title": f"{spec.name} — Terms and conditions",
            "body": (
                f"1. Scope. These terms govern every subscription and order placed with "
                f"{spec.legal['legal_name']}.\n\n2. Prices and payment. Invoices are due within "
                "the payment terms agreed in your contract.\n\n3. Term and termination. "
                "Subscriptions renew at the end of each period unless cancelled with the notice "
                "period of the tariff."
            ),
        },
        {
            "kind": "privacy",
            "version": "2026-01",
            "title": f"{spec.name} — Privacy policy",
            "body": (
                f"{spec.legal['legal_name']} processes the contact and billing data you give us "
                "to provide and invoice our services (GDPR art. 6(1)(b)). We keep invoices for "
                "the period the law requires."
            ),
        },
    ]


def seed_api_key(tenant: Tenant) -> None:
    """Acme's helpdesk reports usage with the documented demo key (`make run` prints a curl
    command that uses it)."""
    if tenant.slug != "acme" or ApiKey.objects.filter(tenant=tenant).exists():
        return
    api_key_create(
        tenant=tenant,
        name="Demo helpdesk",
        scopes=[scope.value for scope in ApiScope],
        actor=SYSTEM,
        secret=DEMO_API_KEY,
    )
