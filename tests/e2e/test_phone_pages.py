"""Every customer portal page in real Chromium, on a 360 px phone and a 1280 px desktop, filled
with the demo customer's own objects: nothing may be wider than the phone's screen, and tables
become stacked cards. Then invoices, statements, quotes and payments printed from the browser.

The list of pages is checked against the portal's URL patterns: a new pattern on the tenant host
fails this test until it is visited here or named in NOT_PAGES with the reason it is no page.
Screenshots: test-artifacts/phone-<name>.png and desktop-<name>.png; print-<name>.pdf."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from billing.documents.credit_notes import credit_note_issue
from billing.documents.links import invoice_link_path
from billing.models import Invoice, PaymentLink, PaymentMethod
from billing.ordering.links import payment_link_tariffs
from billing.ordering.services import Choice, checkout_place
from contracts.models import Contact, LegalDocument
from contracts.portal_links import portal_link_path
from contracts.selectors import legal_documents_pending
from core.models import Tenant
from core.roles import SYSTEM
from portal.demo import DEMO_PASSWORD
from portal.demo_links import REQUIRED_DATA
from quotes.links import quote_link_path
from quotes.models import Quote
from quotes.requests import ItemIn, quote_request_create
from subscriptions.models import Order, Package, Subscription
from subscriptions.module_data import module_fields
from tests.conftest import take_cards_through
from tests.e2e.conftest import ARTIFACTS, tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
TABLET = {"width": 800, "height": 1024}  # the side menu is back, beside the content
DESKTOP = {"width": 1280, "height": 860}
A4_PRINTABLE = {"width": 703, "height": 1032}  # 210 x 297 mm less the print margins, in CSS px

# URL names on the tenant host that are no page to look at, and why.
NOT_PAGES = {
    # Files
    "invoice_pdf": "a PDF download",
    "invoice_xml": "an e-invoice download",
    "invoice_xrechnung": "an e-invoice download",
    "credit_note_pdf": "a PDF download",
    "credit_note_xml": "an e-invoice download",
    "credit_note_xrechnung": "an e-invoice download",
    "statement_pdf": "a PDF download",
    "quote_pdf": "a PDF download",
    "invoice_by_link_pdf": "a PDF download",
    "credit_note_by_link_pdf": "a PDF download",
    "quote_by_link_pdf": "a PDF download",
    "payment_receipt": "a PDF download (the receipt)",
    "module_image": "an image",
    "payment_link_image": "an image",
    "tenant_logo": "an image",
    "mfa_download_recovery_codes": "a text download",
    "account_export_csv": "a CSV download",
    "account_export_download": "a ZIP download",
    "account_export_progress": "the progress the export page polls, as JSON",
    # Forms' targets and machines' endpoints
    "subscription_undo_change": "POST only (a button on the subscription's page)",
    "subscription_undo_cancel": "POST only (a button on the subscription's page)",
    "payment_method_default": "POST only (a button on the payment methods page)",
    "auto_topup": "POST only (the form on the credits page)",
    "quote_approve": "POST only (the form on the quote's page)",
    "quote_link_approve": "POST only (the form on the quote link's page)",
    "account_export_zip": "POST only (the form on the export page)",
    "customer_switch": "POST only (the customer menu)",
    "acting_end": "POST only (the act-as-customer banner)",
    "set_language": "POST only (the language menu)",
    "invoice_pay_confirmed": "the browser's way back from 3-D Secure: redirects",
    "invoice_link_pay_confirmed": "POST only: the browser's way back from 3-D Secure",
    "checkout_confirmed": "POST only: the browser's way back from 3-D Secure",
    "nestpay_ok": "the bank's answer, posted by the browser",
    "nestpay_fail": "the bank's answer, posted by the browser",
    "stripe_webhook": "Stripe's webhook",
    "healthz": "the health check",
    # allauth's steps reached only from an e-mailed key or in the middle of a login
    "account_confirm_email": "needs a key from an e-mail",
    "account_reset_password_from_key": "needs a key from an e-mail",
    "account_reset_password_from_key_done": "after a reset from an e-mailed key",
    "account_confirm_login_code": "in the middle of a login by code",
    "account_request_reauthentication_code": "in the middle of a reauthentication by code",
    "account_confirm_reauthentication_code": "in the middle of a reauthentication by code",
    "mfa_authenticate": "in the middle of a login with two factors",
    "mfa_reauthenticate": "only with two factors switched on",
    "mfa_deactivate_totp": "only with two factors switched on",
    "mfa_view_recovery_codes": "only with two factors switched on",
    "mfa_generate_recovery_codes": "only with two factors switched on",
    "account_set_password": "redirects to the password change for a user with a password",
}


def _tenant_url_names() -> set[str]:
    """The name of every URL pattern served on a business's host, but the back office's and
    the API's."""

    def walk(resolver: URLResolver, prefix: str):
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern, route)
            elif isinstance(pattern, URLPattern):
                yield route, pattern.name

    return {
        name or route
        for route, name in walk(get_resolver("portal.urls"), "")
        if not route.startswith(("manage/", "api/v1/"))
    }


# On a phone every table's rows are cards, but for two-column summaries (an order's totals).
TABLES_LEFT_AS_TABLES = """[...document.querySelectorAll('main table:not(.summary *)')]
    .filter(t => [...t.querySelectorAll('tbody tr')]
        .some(r => getComputedStyle(r).display === 'table-row'))
    .map(t => t.className || t.outerHTML.slice(0, 60))"""


class Shooter:
    """Visits pages at phone width and at a tablet's (both checked for sideways scrolling),
    then at desktop width."""

    def __init__(self, page, live_server):
        self.page = page
        self.live_server = live_server
        self.visited: set[str] = set()
        self.too_wide: list[str] = []
        self.redirected: dict[str, str] = {}
        self.tables: list[str] = []

    def visit(self, name: str, path: str, *, shot: str | None = None, status: int = 200) -> None:
        shot = shot or name
        self.page.set_viewport_size(PHONE)
        response = self.page.goto(tenant_url(self.live_server, "acme", path))
        assert response is not None and response.status == status, f"{name} {path}: {response}"
        landed = urlsplit(self.page.url)
        if (landed.path, landed.query) != (urlsplit(path).path, urlsplit(path).query):
            self.redirected[name] = landed.path
        self.visited.add(name)
        self._fits(f"{shot} ({path})")
        self.tables += [f"{shot}: {table}" for table in self.page.evaluate(TABLES_LEFT_AS_TABLES)]
        self.page.screenshot(path=str(ARTIFACTS / f"phone-{shot}.png"), full_page=True)
        self.page.set_viewport_size(TABLET)
        self._fits(f"{shot} ({path}) on a tablet")
        self.page.set_viewport_size(DESKTOP)
        self.page.screenshot(path=str(ARTIFACTS / f"desktop-{shot}.png"), full_page=True)

    def _fits(self, what: str) -> None:
        overflow = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            wide = self.page.evaluate(
                """[...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                    .slice(-4).map(e => e.tagName.toLowerCase() + '.' + e.className)"""
            )
            self.too_wide.append(f"{what}: {overflow}px too wide: {wide}")


def _demo_world(fake_stripe, settings) -> dict:
    """The demo, with card payments on, and what the demo customer lacks for some pages: a
    credit note, a quote request, an open checkout and a saved card."""
    call_command("seed_demo")
    acme = Tenant.objects.get(slug="acme")
    take_cards_through(fake_stripe, acme, settings)
    contact = Contact.objects.select_related("customer", "user").get(
        user__email="customer1@acme.test"
    )
    customer, user = contact.customer, contact.user
    today = timezone.localdate()
    invoices = Invoice.objects.filter(customer=customer).order_by("-issue_date", "-pk")
    paid = invoices.filter(status="paid").first()
    note = credit_note_issue(
        invoice=paid, actor=SYSTEM, today=today, reason="Two days without service in March"
    )
    link = PaymentLink.objects.filter(tenant=acme).order_by("pk").first()
    tariff = payment_link_tariffs(link).first()
    request = quote_request_create(
        customer=customer,
        actor=user,
        items=[ItemIn(tariff=tariff, quantity=3)],
        note="Three more seats for the support team, from January.",
    )
    checkout = checkout_place(
        customer=customer,
        actor=user,
        key=uuid.uuid4(),
        choice=Choice(tariff=tariff),
        module_data={
            f.key: REQUIRED_DATA[f.key]
            for f in module_fields(module=tariff.module)
            if f.required and f.key in REQUIRED_DATA
        },
        terms_shown=[d.pk for d in legal_documents_pending(tenant=acme, customer=customer)],
        accepted=True,
        today=today,
    )
    card = PaymentMethod.objects.create(
        tenant=acme,
        customer=customer,
        token="pm_phone_pages",
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=today.year + 3,
        is_default=True,
    )
    subscriptions = Subscription.objects.filter(customer=customer).order_by("pk")
    return {
        "tenant": acme,
        "customer": customer,
        "open_invoice": invoices.filter(status="open").last(),
        "paid_invoice": paid,
        "credit_note": note,
        "subscription": subscriptions.first(),
        "order": Order.objects.filter(customer=customer).order_by("-pk").first(),
        "quote": Quote.objects.filter(customer=customer, status="sent").first(),
        "quote_request": request,
        "checkout": checkout,
        "card": card,
        "tariff": tariff,
        "link": link,
        "package": Package.objects.filter(tenant=acme).order_by("pk").first(),
        "legal": LegalDocument.objects.filter(tenant=acme).order_by("pk").first(),
        "contact": contact,
    }


def _the_menu_folds_away_on_a_phone(page) -> None:
    """On a phone the sections hide behind the menu button, which opens them by click or
    keyboard and says so (aria-expanded); Escape closes them again."""
    page.set_viewport_size(PHONE)
    toggle, menu = page.locator(".nav-toggle"), page.locator("#portal-menu")
    assert toggle.is_visible() and not menu.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.focus()
    page.keyboard.press("Enter")
    assert menu.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    assert menu.locator("a[aria-current=page]").inner_text().strip()
    page.screenshot(path=str(ARTIFACTS / "phone-dashboard-menu.png"))
    menu.locator("a").first.focus()
    page.keyboard.press("Escape")
    assert not menu.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    page.set_viewport_size(DESKTOP)
    assert not toggle.is_visible() and menu.is_visible()


# Hidden on paper: the portal around the document, and whatever asks for a click.
NOT_PRINTED = ".sidenav, .topbar-tools, .footer, .crumbs, .tabs, .messages, button, .button, form"
PRINT_CHECK = """(selector) => {
    const shown = [...document.querySelectorAll(selector)].filter(e => e.checkVisibility());
    const visible = [...document.querySelectorAll('main *')].filter(e => e.checkVisibility());
    return {
        shown: shown.map(e => e.tagName.toLowerCase() + '.' + e.className),
        navDisplay: [...document.querySelectorAll('.sidenav')]
            .map(e => getComputedStyle(e).display).join() || 'none',
        colours: [...new Set(visible.map(e => getComputedStyle(e).color))],
        backgrounds: [...new Set(visible.map(e => getComputedStyle(e).backgroundColor))],
        underlined: visible.filter(e => e.tagName === 'A'
            && getComputedStyle(e).textDecorationLine !== 'none').length,
        wide: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    };
}"""


def _documents_print_as_paper(page, live_server, documents: dict[str, str]) -> None:
    """Printed from the browser, a document comes without the portal around it, without
    buttons or forms, black on white and not wider than the paper; each saved as a PDF."""
    page.set_viewport_size(A4_PRINTABLE)
    page.emulate_media(media="print")
    for name, path in documents.items():
        page.goto(tenant_url(live_server, "acme", path))
        assert page.url.endswith(path), f"{name} printed {page.url} instead"
        found = page.evaluate(PRINT_CHECK, NOT_PRINTED)
        assert found["navDisplay"] == "none", name
        assert not found["shown"], f"{name} prints {found['shown']}"
        assert found["colours"] == ["rgb(0, 0, 0)"], f"{name}: {found['colours']}"
        assert set(found["backgrounds"]) <= {"rgba(0, 0, 0, 0)"}, f"{name}: {found['backgrounds']}"
        assert found["underlined"] == 0, name
        assert found["wide"] <= 0, name
        page.pdf(path=str(ARTIFACTS / f"print-{name}.pdf"), format="A4")
    page.emulate_media(media="screen")


def test_every_portal_page_fits_a_phone_and_documents_print_cleanly(
    live_server, page, fake_stripe, settings
):
    fake_stripe.reset()
    w = _demo_world(fake_stripe, settings)
    ARTIFACTS.mkdir(exist_ok=True)
    shoot = Shooter(page, live_server)
    open_invoice, quote = w["open_invoice"], w["quote"]
    invoice_link = invoice_link_path(open_invoice)

    # Public pages, before logging in.
    shoot.visit("account_login", reverse("account_login"))
    shoot.visit("portal_link_request", reverse("portal_link_request"))
    shoot.visit("account_request_login_code", reverse("account_request_login_code"))
    shoot.visit("account_reset_password", reverse("account_reset_password"))
    shoot.visit("account_reset_password_done", reverse("account_reset_password_done"))
    shoot.visit("account_signup", reverse("account_signup"))
    shoot.visit("account_inactive", reverse("account_inactive"))
    shoot.visit("account_email_verification_sent", reverse("account_email_verification_sent"))
    shoot.visit("portal_link", portal_link_path(w["contact"]))
    shoot.visit("invoice_by_link", invoice_link)
    shoot.visit("invoice_link_pay", f"{invoice_link}pay/")
    shoot.visit(
        "invoice_by_link", "/l/invoice/not-a-token/", shot="invoice_by_link-invalid", status=404
    )
    shoot.visit("quote_by_link", quote_link_path(quote))
    shoot.visit("quote_link_decline", f"{quote_link_path(quote)}decline/")
    shoot.visit("payment_link", f"/buy/{w['link'].slug}/")

    page.goto(tenant_url(live_server, "acme", reverse("account_login")))
    page.fill("input[name=login]", "customer1@acme.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")

    sub, card = w["subscription"], w["card"]
    pages = {
        "dashboard": "/",
        "contract": "/contract/",
        "contract_edit": "/contract/edit/",
        "account_close": "/contract/close/",
        "legal_document": f"/legal/{w['legal'].pk}/",
        "subscriptions": "/subscriptions/",
        "billing_schedule": "/subscriptions/schedule/",
        "subscription_detail": f"/subscriptions/{sub.pk}/",
        "subscription_change": f"/subscriptions/{sub.pk}/change/",
        "subscription_cancel": f"/subscriptions/{sub.pk}/cancel/",
        "subscription_module_data": f"/subscriptions/{sub.pk}/module-data/",
        "orders": "/orders/",
        "order_detail": f"/orders/{w['order'].pk}/",
        "order": "/order/",
        "checkout_review": f"/order/tariffs/{w['tariff'].pk}/",
        "checkout_detail": f"/order/checkouts/{w['checkout'].key}/",
        "invoices": "/invoices/",
        "invoice_detail": f"/invoices/{w['paid_invoice'].pk}/",
        "invoice_pay": f"/invoices/{open_invoice.pk}/pay/",
        "recurring_invoices": "/invoices/recurring/",
        "statement": "/invoices/statement/",
        "account_export": "/account/export/",
        "payments": "/payments/",
        "payment_methods": "/payment-methods/",
        "payment_method_add": "/payment-methods/add/",
        "payment_method_remove": f"/payment-methods/{card.pk}/remove/",
        "credits": "/credits/",
        "package_buy": f"/credits/packages/{w['package'].pk}/",
        "quotes": "/quotes/",
        "quote_detail": f"/quotes/{quote.pk}/",
        "quote_decline": f"/quotes/{quote.pk}/decline/",
        "quote_request_new": "/quotes/request/",
        "quote_requests": "/quotes/requests/",
        "quote_request_detail": f"/quotes/requests/{w['quote_request'].pk}/",
        "account_email": reverse("account_email"),
        "account_change_password": reverse("account_change_password"),
        "account_language": reverse("account_language"),
        "account_reauthenticate": reverse("account_reauthenticate"),
        "mfa_index": reverse("mfa_index"),
        "mfa_activate_totp": reverse("mfa_activate_totp"),
    }
    for name, path in pages.items():
        shoot.visit(name, path)
        if name == "dashboard":
            _the_menu_folds_away_on_a_phone(page)
    shoot.visit("invoice_detail", f"/invoices/{open_invoice.pk}/", shot="invoice_detail-open")
    # Printed while nothing stands in the way (the new terms below would).
    _documents_print_as_paper(
        page,
        live_server,
        {
            "invoice": f"/invoices/{w['paid_invoice'].pk}/",
            "invoice-link": invoice_link,  # as e-mailed, no login needed
            "statement": "/invoices/statement/",
            "account_export": "/account/export/",
            "quote": f"/quotes/{quote.pk}/",
            "payments": "/payments/",  # the receipts: each payment's receipt number
        },
    )
    # New terms: the customer is asked to accept them before anything else.
    terms = w["legal"]
    LegalDocument.objects.create(
        tenant=terms.tenant,
        kind=terms.kind,
        version="2027-01",
        title=terms.title,
        body=terms.body,
        published_at=timezone.now(),
    )
    shoot.visit("legal_accept", "/legal/accept/")
    shoot.visit("account_logout", reverse("account_logout"))

    # Switching on two factors asks for the password first.
    assert shoot.redirected == {"mfa_activate_totp": reverse("account_reauthenticate")}, (
        shoot.redirected
    )
    assert not shoot.tables, "Tables not stacked on a phone:\n" + "\n".join(shoot.tables)
    assert not shoot.too_wide, "Wider than a 360 px phone:\n" + "\n".join(shoot.too_wide)
    forgotten = _tenant_url_names() - shoot.visited - set(NOT_PAGES)
    assert not forgotten, f"portal pages neither visited here nor listed in NOT_PAGES: {forgotten}"
    assert not set(NOT_PAGES) - _tenant_url_names(), "NOT_PAGES names a URL that is gone"
