"""The demo's catalogue and subscriptions: what each demo business sells and who bought what."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import ExchangeRate, Invoice, TaxRate
from billing.payments.services import invoice_mark_paid
from billing.run.services import billing_run
from contracts.models import Customer
from core.models import Tenant
from core.roles import SYSTEM
from portal.demo_dunning import overdue_invoice_issue, overdue_invoices
from subscriptions.credits import credits_use, package_purchase
from subscriptions.models import (
    Department,
    Module,
    ModuleField,
    Option,
    Package,
    Subscription,
    Tariff,
    TariffPrice,
)
from subscriptions.module_data import subscription_module_data_save
from subscriptions.orders import order_advance, order_create
from subscriptions.periods import add_months
from subscriptions.services import subscription_cancel, subscription_option_add, subscription_order

# module -> description, [(tariff, price, interval, minimum term, notice, change notice)], options
CATALOGUE = {
    "acme": {
        "Helpdesk": (
            "Shared inbox, ticket tracking and a customer knowledge base for your support team.",
            [
                ("Starter", "19.00", 1, 0, 30, 0),
                ("Team", "49.00", 1, 3, 30, 14),
                ("Team yearly", "490.00", 12, 12, 90, 30),
            ],
            [("Extra agent", "9.00")],
        ),
        "Website hosting": (
            "Managed hosting with daily backups, TLS certificates and 99.9 % uptime.",
            [("Small", "9.90", 1, 0, 30, 0), ("Business", "29.90", 1, 0, 30, 0)],
            [],
        ),
    },
    # Globex sells in Turkish lira (TRY): prices as a Turkish business would set them.
    "globex": {
        "Coaching": (
            "A monthly one-to-one session with a senior consultant and a written action plan.",
            [
                ("Monthly coaching", "4500.00", 1, 6, 30, 0),
                ("Quarterly coaching", "12000.00", 3, 6, 30, 0),
            ],
            [],
        ),
        "Cloud backup": (
            "Encrypted off-site backup of your servers, kept in the EU.",
            [("50 GB", "150.00", 1, 0, 14, 0), ("500 GB", "600.00", 1, 0, 14, 0)],
            [("Extra 100 GB", "120.00")],
        ),
    },
}
# The catalogue's texts in the other four languages (fr, de, it, tr), by their English text. Each
# business enters its catalogue in its own language (Acme English, Globex French) and the others
# as translations (`demo_texts`).
TRANSLATIONS = {
    # Acme
    "Helpdesk": ("Service d'assistance", "Helpdesk", "Helpdesk", "Yardım masası"),
    "Shared inbox, ticket tracking and a customer knowledge base for your support team.": (
        "Boîte de réception partagée, suivi des tickets et base de connaissances clients pour "
        "votre équipe d'assistance.",
        "Gemeinsames Postfach, Ticketverfolgung und eine Wissensdatenbank für Ihr Support-Team.",
        "Casella condivisa, gestione dei ticket e una knowledge base per i clienti del tuo team "
        "di assistenza.",
        "Destek ekibiniz için ortak gelen kutusu, talep takibi ve müşteri bilgi bankası.",
    ),
    "Starter": ("Essentiel", "Starter", "Base", "Başlangıç"),
    "Team": ("Équipe", "Team", "Team", "Ekip"),
    "Team yearly": ("Équipe annuel", "Team jährlich", "Team annuale", "Ekip yıllık"),
    "Extra agent": (
        "Agent supplémentaire",
        "Zusätzlicher Agent",
        "Agente aggiuntivo",
        "Ek temsilci",
    ),
    "Website hosting": (
        "Hébergement de site web",
        "Website-Hosting",
        "Hosting del sito web",
        "Web sitesi barındırma",
    ),
    "Managed hosting with daily backups, TLS certificates and 99.9 % uptime.": (
        "Hébergement infogéré avec sauvegardes quotidiennes, certificats TLS et 99,9 % de "
        "disponibilité.",
        "Verwaltetes Hosting mit täglichen Backups, TLS-Zertifikaten und 99,9 % Verfügbarkeit.",
        "Hosting gestito con backup giornalieri, certificati TLS e disponibilità del 99,9 %.",
        "Günlük yedekleme, TLS sertifikaları ve %99,9 erişilebilirlik ile yönetilen barındırma.",
    ),
    "Small": ("Petit", "Klein", "Piccolo", "Küçük"),
    "Business": ("Entreprise", "Business", "Business", "Kurumsal"),
    "10 support tickets": (
        "10 tickets d'assistance",
        "10 Support-Tickets",
        "10 ticket di assistenza",
        "10 destek talebi",
    ),
    "50 support tickets": (
        "50 tickets d'assistance",
        "50 Support-Tickets",
        "50 ticket di assistenza",
        "50 destek talebi",
    ),
    "Unlimited support for a year": (
        "Assistance illimitée pendant un an",
        "Unbegrenzter Support für ein Jahr",
        "Assistenza illimitata per un anno",
        "Bir yıl sınırsız destek",
    ),
    # Globex
    "Coaching": ("Coaching", "Coaching", "Coaching", "Koçluk"),
    "A monthly one-to-one session with a senior consultant and a written action plan.": (
        "Une séance individuelle mensuelle avec un consultant senior et un plan d'action écrit.",
        "Eine monatliche Einzelsitzung mit einem erfahrenen Berater und ein schriftlicher "
        "Maßnahmenplan.",
        "Una sessione individuale mensile con un consulente senior e un piano d'azione scritto.",
        "Kıdemli bir danışmanla aylık birebir görüşme ve yazılı bir eylem planı.",
    ),
    "Monthly coaching": (
        "Coaching mensuel",
        "Monatliches Coaching",
        "Coaching mensile",
        "Aylık koçluk",
    ),
    "Quarterly coaching": (
        "Coaching trimestriel",
        "Vierteljährliches Coaching",
        "Coaching trimestrale",
        "Üç aylık koçluk",
    ),
    "Cloud backup": ("Sauvegarde cloud", "Cloud-Backup", "Backup nel cloud", "Bulut yedekleme"),
    "Encrypted off-site backup of your servers, kept in the EU.": (
        "Sauvegarde chiffrée et externalisée de vos serveurs, conservée dans l'UE.",
        "Verschlüsselte externe Sicherung Ihrer Server, gespeichert in der EU.",
        "Backup cifrato e remoto dei tuoi server, conservato nell'UE.",
        "Sunucularınızın şifreli, tesis dışı yedeği; AB'de saklanır.",
    ),
    "50 GB": ("50 Go", "50 GB", "50 GB", "50 GB"),
    "500 GB": ("500 Go", "500 GB", "500 GB", "500 GB"),
    "Extra 100 GB": (
        "100 Go supplémentaires",
        "Zusätzliche 100 GB",
        "100 GB aggiuntivi",
        "Ek 100 GB",
    ),
    "5 coaching calls": (
        "5 appels de coaching",
        "5 Coaching-Gespräche",
        "5 chiamate di coaching",
        "5 koçluk görüşmesi",
    ),
    "Coaching hotline, 90 days": (
        "Ligne directe coaching, 90 jours",
        "Coaching-Hotline, 90 Tage",
        "Linea diretta coaching, 90 giorni",
        "Koçluk yardım hattı, 90 gün",
    ),
    # Departments (both businesses)
    "Support": ("Assistance", "Support", "Assistenza", "Destek"),
    "Development": ("Développement", "Entwicklung", "Sviluppo", "Geliştirme"),
    "Live chat": ("Chat en direct", "Live-Chat", "Chat dal vivo", "Canlı sohbet"),
}
TRANSLATED_LANGUAGES = ("fr", "de", "it", "tr")


def demo_text(english: str, language: str) -> str:
    if language == "en" or not english:
        return english
    return TRANSLATIONS[english][TRANSLATED_LANGUAGES.index(language)]


def demo_texts(tenant: Tenant, **english: str) -> dict:
    """The model's fields for English texts (name="Helpdesk", description="…"): each in the
    business's language, and `translations` holding the other four."""
    fields = {field: demo_text(text, tenant.locale) for field, text in english.items()}
    translations = {
        language: {field: demo_text(text, language) for field, text in english.items() if text}
        for language in ("en", *TRANSLATED_LANGUAGES)
        if language != tenant.locale
    }
    return {**fields, "translations": translations}


# What subscribers may do in the portal, where it differs from "cancel and change freely":
# yearly and coaching contracts end only with the business's approval; quarterly coaching is
# changed by staff only.
PORTAL_RIGHTS = {
    "Helpdesk/Team yearly": {"cancellation_needs_approval": True},
    "Coaching/Monthly coaching": {"cancellation_needs_approval": True},
    "Coaching/Quarterly coaching": {
        "cancellation_needs_approval": True,
        "portal_may_change": False,
    },
}
# customer number -> [(module, tariff, months ago started, cancelled?)]
SUBSCRIPTIONS = {
    "C-1001": [("Helpdesk", "Team", 8, False), ("Website hosting", "Small", 14, False)],
    "C-1002": [("Helpdesk", "Starter", 2, False)],
    "C-1003": [("Website hosting", "Business", 5, True)],
    "G-2001": [("Coaching", "Monthly coaching", 4, False), ("Cloud backup", "50 GB", 10, False)],
    "G-2002": [("Cloud backup", "500 GB", 3, False)],
    "G-2003": [("Coaching", "Quarterly coaching", 7, True)],
}

# module -> [(key, kind, editor, required, labels en/fr/de/it/tr, extra)]
MODULE_FIELDS = {
    "Helpdesk": [
        (
            "agents",
            "number",
            "staff",
            False,
            (
                "Number of agents",
                "Nombre d'agents",
                "Anzahl Agenten",
                "Numero di agenti",
                "Temsilci sayısı",
            ),
            {"min_value": Decimal(1), "max_value": Decimal(500)},
        ),
        (
            "support_email",
            "text",
            "customer",
            False,
            (
                "Support e-mail address",
                "Adresse e-mail du support",
                "Support-E-Mail-Adresse",
                "Indirizzo e-mail di supporto",
                "Destek e-posta adresi",
            ),
            {"max_length": 254},
        ),
    ],
    "Website hosting": [
        (
            "domain",
            "text",
            "customer",
            True,
            ("Domain", "Nom de domaine", "Domain", "Dominio", "Alan adı"),
            {"max_length": 253},
        ),
        (
            "data_centre",
            "choice",
            "manager",
            False,
            ("Data centre", "Centre de données", "Rechenzentrum", "Data center", "Veri merkezi"),
            {"choices": "Frankfurt\nParis"},
        ),
    ],
    "Coaching": [
        (
            "focus",
            "choice",
            "customer",
            True,
            ("Focus area", "Thème principal", "Schwerpunkt", "Area di interesse", "Odak alanı"),
            {"choices": "Leadership\nSales\nOperations"},
        ),
        (
            "next_session",
            "date",
            "staff",
            False,
            (
                "Next session",
                "Prochaine séance",
                "Nächste Sitzung",
                "Prossima sessione",
                "Sonraki oturum",
            ),
            {},
        ),
    ],
    "Cloud backup": [
        (
            "servers",
            "number",
            "staff",
            False,
            (
                "Servers backed up",
                "Serveurs sauvegardés",
                "Gesicherte Server",
                "Server salvati",
                "Yedeklenen sunucular",
            ),
            {"min_value": Decimal(1)},
        ),
        (
            "offsite_copy",
            "yes_no",
            "customer",
            False,
            (
                "Second copy in another country",
                "Deuxième copie dans un autre pays",
                "Zweite Kopie in einem anderen Land",
                "Seconda copia in un altro paese",
                "Başka bir ülkede ikinci kopya",
            ),
            {},
        ),
    ],
}
# (customer number, module) -> module data of the demo subscription
MODULE_DATA = {
    ("C-1001", "Helpdesk"): {"agents": "6", "support_email": "support@northwind.test"},
    ("C-1001", "Website hosting"): {"domain": "northwind.test", "data_centre": "Frankfurt"},
    ("C-1002", "Helpdesk"): {"agents": "2"},
    ("C-1003", "Website hosting"): {"domain": "shop.fabrikam.test"},
    ("G-2001", "Coaching"): {"focus": "Leadership"},
    ("G-2001", "Cloud backup"): {"servers": "3", "offsite_copy": True},
    ("G-2002", "Cloud backup"): {"servers": "12"},
    ("G-2003", "Coaching"): {"focus": "Sales"},
}


def _seed_module_fields(tenant: Tenant, module: Module, key_name: str) -> None:
    for position, (key, kind, editor, required, labels, extra) in enumerate(
        MODULE_FIELDS.get(key_name, [])
    ):
        en, fr, de, it, tr = labels
        ModuleField.objects.get_or_create(
            tenant=tenant,
            module=module,
            key=key,
            defaults={
                "kind": kind,
                "editor": editor,
                "required": required,
                "position": position,
                "label_en": en,
                "label_fr": fr,
                "label_de": de,
                "label_it": it,
                "label_tr": tr,
                **extra,
            },
        )


def _image(colour: str, letter: str) -> ContentFile:
    picture = Image.new("RGB", (176, 176), colour)
    draw = ImageDraw.Draw(picture)
    draw.rounded_rectangle((44, 44, 132, 132), radius=18, outline="white", width=8)
    draw.text((76, 70), letter, fill="white", font_size=40)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return ContentFile(buffer.getvalue())


def seed_catalogue(tenant: Tenant) -> dict[str, Tariff]:
    tariffs: dict[str, Tariff] = {}
    for module_name, (description, tariff_specs, option_specs) in CATALOGUE[tenant.slug].items():
        texts = demo_texts(tenant, name=module_name, description=description)
        module, made = Module.objects.get_or_create(
            tenant=tenant,
            name=texts.pop("name"),
            defaults=texts,
        )
        if made or not module.image:  # every orderable module shows a picture
            module.image.save(
                f"{module_name.lower().replace(' ', '-')}.png",
                _image(tenant.primary_colour, module_name[0]),
            )
        _seed_module_fields(tenant, module, module_name)
        options = [
            Option.objects.get_or_create(
                tenant=tenant,
                name=demo_text(name, tenant.locale),
                defaults={
                    "unit_price": Decimal(price),
                    "currency": tenant.default_currency,
                    "translations": demo_texts(tenant, name=name)["translations"],
                },
            )[0]
            for name, price in option_specs
        ]
        siblings = []
        for position, (name, price, interval, minimum, notice, change) in enumerate(tariff_specs):
            texts = demo_texts(tenant, name=name)
            tariff, made = Tariff.objects.get_or_create(
                tenant=tenant,
                module=module,
                name=texts["name"],
                defaults={
                    "translations": texts["translations"],
                    "interval_months": interval,
                    "minimum_term_months": minimum,
                    "notice_period_days": notice,
                    "change_notice_days": change,
                    "position": position,
                    "currency": tenant.default_currency,
                    **PORTAL_RIGHTS.get(f"{module_name}/{name}", {}),
                },
            )
            if made:
                TariffPrice.objects.create(
                    tenant=tenant,
                    tariff=tariff,
                    unit_price=Decimal(price),
                    **demo_texts(tenant, description=name),
                )
                tariff.options.set(options)
            siblings.append(tariff)
            tariffs[f"{module_name}/{name}"] = tariff
        for tariff in siblings:  # every tariff of a module may change to its siblings
            tariff.allowed_changes.set([t for t in siblings if t != tariff])
    return tariffs


def seed_subscriptions(tenant: Tenant, tariffs: dict[str, Tariff], today: date) -> None:
    for customer in Customer.objects.filter(tenant=tenant, number__in=SUBSCRIPTIONS):
        if Subscription.objects.filter(customer=customer).exists():
            continue
        for module_name, tariff_name, months_ago, cancelled in SUBSCRIPTIONS[customer.number]:
            tariff = tariffs[f"{module_name}/{tariff_name}"]
            subscription = subscription_order(
                customer=customer,
                tariff=tariff,
                actor=SYSTEM,
                start_on=add_months(today, -months_ago),
            )
            values = MODULE_DATA.get((customer.number, module_name))
            if values:
                subscription_module_data_save(
                    subscription=subscription, values=values, actor=SYSTEM
                )
            option = tariff.options.first()
            manager = tenant.staff_memberships.get(role="manager").user
            billing = tenant.staff_memberships.get(role="billing").user
            for _stage in range(2 if months_ago > 2 else 1):  # delivered, or in progress
                order_advance(order=subscription.orders.get(), actor=billing)
            if option is not None and customer.number.endswith("1"):
                subscription_option_add(
                    subscription=subscription, option=option, quantity=2, actor=manager, today=today
                )
            if cancelled:
                subscription_cancel(
                    subscription=subscription,
                    actor=manager,
                    today=today,
                    reason="Moving to an in-house solution.",
                )
            elif tariff.cancellation_needs_approval and customer.number.endswith("1"):
                # A request waiting in the back office, as the customer sent it from the portal.
                owner = customer.contacts.filter(role="owner", is_active=True).first()
                subscription_cancel(
                    subscription=subscription,
                    actor=owner.user,
                    today=today,
                    reason="We are merging with another company and review every contract.",
                    as_contact=True,
                )
        if customer.number.endswith("1"):
            workshop = order_create(
                customer=customer,
                title="Onboarding workshop",
                actor=billing,
                description="Two half-days with your team: set-up, workflows and reporting.",
                stages=["Booked", "Agenda agreed", "Day 1", "Day 2", "Summary sent"],
            )
            order_advance(order=workshop, actor=billing, note="Agenda sent to your contact.")


PACKAGES = {
    "acme": [
        ("10 support tickets", "credits", 10, None, "90.00"),
        ("50 support tickets", "credits", 50, None, "400.00"),
        ("Unlimited support for a year", "subscription", None, 365, "990.00"),
    ],
    "globex": [  # TRY
        ("5 coaching calls", "credits", 5, None, "10500.00"),
        ("Coaching hotline, 90 days", "subscription", None, 90, "18000.00"),
    ],
}
# department -> (credits per request, counts tickets, conversations, live chats)
DEPARTMENTS = {
    "Support": (1, True, True, False),
    "Development": (3, True, True, False),
    "Live chat": (1, False, False, True),
}
# package (by position in PACKAGES) -> the departments it switches on
PACKAGE_DEPARTMENTS = {
    "acme": [("Support", "Live chat"), ("Support", "Development"), tuple(DEPARTMENTS)],
    "globex": [("Support",), ("Support", "Development", "Live chat")],
}


def seed_packages(tenant: Tenant, today: date) -> None:
    """Packages on sale, each covering some of the three departments (Support, Development,
    Live chat, with their own credits per request); the first customer has bought credits and
    used some, the third holds a subscription package: their purchases switched the packages'
    departments on."""
    if Package.objects.filter(tenant=tenant).exists():
        return
    packages = [
        Package.objects.create(
            tenant=tenant,
            **demo_texts(tenant, name=name),
            kind=kind,
            credits=credits,
            duration_days=days,
            price=Decimal(price),
            currency=tenant.default_currency,
        )
        for name, kind, credits, days, price in PACKAGES[tenant.slug]
    ]
    departments = {
        name: Department.objects.create(
            tenant=tenant,
            **demo_texts(tenant, name=name),
            credits_per_request=price,
            counts_tickets=tickets,
            counts_conversations=conversations,
            counts_live_chats=chats,
        )
        for name, (price, tickets, conversations, chats) in DEPARTMENTS.items()
    }
    for package, covered in zip(packages, PACKAGE_DEPARTMENTS[tenant.slug], strict=True):
        package.departments.set([departments[name] for name in covered])
    support, chat = departments["Support"], departments["Live chat"]
    customers = list(Customer.objects.filter(tenant=tenant).order_by("number"))
    buyer = customers[0].contacts.get(role="owner").user
    package_purchase(customer=customers[0], package=packages[0], actor=buyer, today=today)
    for units, department, reference in (
        (1, support, "Ticket #1042: password reset"),
        (1, support, "Ticket #1057: export to CSV"),
        (1, chat, "Chat: invoice address"),
    ):
        credits_use(
            customer=customers[0],
            units=units,
            department=department,
            reference=reference,
            today=today,
            actor=SYSTEM,
        )
    holder = customers[2].contacts.get(role="owner").user
    package_purchase(customer=customers[2], package=packages[-1], actor=holder, today=today)


def seed_invoices(tenant: Tenant, today: date) -> None:
    """Invoices as the billing run made them, fortnight by fortnight since the first
    started; all paid a few days after issue but the latest (for the first customer, the
    latest two: one of them overdue). Between the runs, on their days, the one-off invoices
    that are overdue today (portal.demo_dunning)."""

    if Invoice.objects.filter(tenant=tenant).exists():
        return
    TaxRate.objects.get_or_create(
        tenant=tenant,
        is_default=True,
        defaults={"name": "Standard", "rate": Decimal("19" if tenant.country == "DE" else "20")},
    )
    first = Subscription.objects.filter(tenant=tenant).order_by("started_on").first()
    if first is None:
        return
    one_offs, unpaid = overdue_invoices(tenant, today), []
    day = first.started_on
    while day <= today:
        # Numbers follow the dates: an invoice issued since the last run is numbered first.
        while one_offs and one_offs[0].issue_date <= day:
            unpaid.append(overdue_invoice_issue(tenant, one_offs.pop(0)).pk)
        billing_run(today=day, tenant=tenant)
        day += timedelta(days=14)
    unpaid += [overdue_invoice_issue(tenant, one_off).pk for one_off in one_offs]
    billing_run(today=today, tenant=tenant)
    for customer in Customer.objects.filter(tenant=tenant):
        invoices = list(
            Invoice.objects.filter(customer=customer, status="open")
            .exclude(pk__in=unpaid)
            .order_by("issue_date", "id")
        )
        keep_open = 2 if customer.number.endswith("1") else 1
        for invoice in invoices[:-keep_open]:
            invoice_mark_paid(
                invoice=invoice,
                actor=SYSTEM,
                amount=invoice.amount_due,
                received_on=invoice.issue_date + timedelta(days=5),
            )
    seed_foreign_currency_invoice(tenant, today)


# US dollars for one unit of the business's currency, as the rates are entered.
USD_PER_UNIT = {"EUR": Decimal("1.0512"), "TRY": Decimal("0.0238")}


def seed_foreign_currency_invoice(tenant: Tenant, today: date) -> None:
    """A one-off invoice in US dollars to the first customer (in the EU): it states its VAT in
    the business's euros too (VAT Directive art. 230), at an ECB reference rate, and its line,
    given no period, the date of supply."""
    customer = Customer.objects.filter(tenant=tenant).order_by("number").first()
    if customer is None or customer.vat_regime != "standard":
        return
    ExchangeRate.objects.get_or_create(
        tenant=tenant,
        currency="USD",
        day=today - timedelta(days=1),
        defaults={"rate": USD_PER_UNIT[tenant.default_currency]},
    )
    invoice = invoice_create_draft(customer=customer, actor=SYSTEM, currency="USD")
    invoice_add_line(
        invoice=invoice, description="Onboarding workshop", unit_price=Decimal("1200"), actor=SYSTEM
    )
    invoice_finalize(invoice=invoice, actor=SYSTEM, today=today, send=False)
