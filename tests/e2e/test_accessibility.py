"""Accessibility in real Chromium, checked by axe-core (axe-playwright-python bundles it).

Every customer portal page, each filled with the demo customer's own objects, and the public
pages (login, the signed invoice link and its payment page, a payment link, a quote link), in
English and in French, a few of them again on a 360 px phone: no violation of impact "serious"
or "critical". The list of pages is checked against the URL patterns, so a new page cannot be
forgotten: a GET page pattern must be visited here or named in NOT_PAGES with the reason.

Keyboard: the login form and the quote-approval and payment forms are filled and sent with the
keyboard alone, starting from the skip link. Forms announce their errors: a bad submission
marks its fields aria-invalid and points them at their error text.

axe is injected with `page.evaluate` of its source (axe-playwright-python's way): code that
Playwright evaluates through the DevTools protocol is not subject to the page's
Content-Security-Policy, so the policy stays on, as in production, and no CSP bypass is needed.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.utils import timezone

from billing.documents.credit_notes import credit_note_issue
from billing.documents.links import invoice_link_path
from billing.models import Checkout, Invoice, PaymentLink, PaymentMethod
from billing.ordering.services import Choice, checkout_place
from contracts.models import Contact, LegalDocument
from contracts.portal_links import portal_link_path
from core.models import Tenant
from core.roles import SYSTEM
from portal.demo import DEMO_PASSWORD
from quotes.links import quote_link_path
from quotes.models import Quote, QuoteRequest
from quotes.requests import ItemIn, quote_request_create
from subscriptions.models import Order, Package, Subscription, Tariff
from tests.billing.test_payments import save_card
from tests.conftest import AXE_REPORT, take_cards_through
from tests.e2e.conftest import ARTIFACTS, tenant_url
from tests.test_fuzz import routes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKING = ("serious", "critical")
LANGUAGES = ("en", "fr")
# localstripe's stand-in for Stripe.js puts bare inputs in the card element; the real Stripe.js
# renders its own accessible fields in an iframe of Stripe's, which is not Kontor's to check.
EXCLUDE = [["#card-element"]]

# URL patterns of the tenant's host that are not pages a customer reads, and why.
NOT_PAGES: dict[str, str] = {
    # Files and data, not HTML pages
    "branding/logo": "an image",
    "buy/<slug:slug>/image": "an image",
    "catalogue/modules/<int:module_id>/image": "an image",
    "invoices/<int:invoice_id>/pdf": "a PDF",
    "invoices/<int:invoice_id>/xml": "an e-invoice file",
    "invoices/<int:invoice_id>/xrechnung": "an e-invoice file",
    "invoices/credit-notes/<int:note_id>/pdf": "a PDF",
    "invoices/credit-notes/<int:note_id>/xml": "an e-invoice file",
    "invoices/credit-notes/<int:note_id>/xrechnung": "an e-invoice file",
    "invoices/statement/pdf": "a PDF",
    "l/credit-note/<str:token>/pdf": "a PDF",
    "l/invoice/<str:token>/pdf": "a PDF",
    "l/quote/<str:token>/pdf": "a PDF",
    "quotes/<int:quote_id>/pdf": "a PDF",
    "payments/<int:payment_id>/receipt": "a PDF",
    "account/export/<slug:kind>.csv": "a CSV file",
    "account/export/jobs/<int:job_id>/download": "a ZIP file",
    "account/export/jobs/<int:job_id>/progress": "JSON the export page polls",
    "healthz": "a health check for the load balancer",
    "accounts/2fa/recovery-codes/download/": "a text file",
    # POST only: buttons on pages checked here
    "acting/end/": "POST only (the staff's banner button)",
    "account/export/zip/": "POST only (a button on the export page)",
    "credits/auto-topup/": "POST only (a form on the Credits page)",
    "customer/<int:customer_id>/switch/": "POST only (the customer menu)",
    "i18n/setlang/": "POST only (the language menu)",
    "accounts/logout/": "POST (the user menu's button); its GET page ends the session walked",
    "invoices/<int:invoice_id>/pay/<int:attempt_id>/confirmed/": "POST only (Stripe.js returns)",
    "l/invoice/<str:token>/pay/<int:attempt_id>/confirmed/": "POST only (Stripe.js returns)",
    "order/checkouts/<uuid:key>/confirmed/": "POST only (Stripe.js returns)",
    "pay/nestpay/ok/": "POST only (the bank's answer)",
    "pay/nestpay/fail/": "POST only (the bank's answer)",
    "payment-methods/<int:method_id>/default/": "POST only (a button on Payment methods)",
    "quotes/<int:quote_id>/approve/": "POST only (the form on the quote's page)",
    "l/quote/<str:token>/approve/": "POST only (the form on the quote link's page)",
    "subscriptions/<int:subscription_id>/undo-cancel/": "POST only (a button)",
    "subscriptions/<int:subscription_id>/undo-change/": "POST only (a button)",
    "stripe/webhook/<slug:tenant>/": "Stripe's webhook",
    # allauth's pages that exist only in a state the demo customer is not in (each extends the
    # same layouts and field template as the login and account pages checked here)
    "accounts/2fa/authenticate/": "only while logging in with two factors",
    "accounts/2fa/reauthenticate/": "only for a user with two factors",
    "accounts/2fa/recovery-codes/": "only for a user with two factors",
    "accounts/2fa/recovery-codes/generate/": "only for a user with two factors",
    "accounts/2fa/totp/deactivate/": "only for a user with two factors",
    "accounts/confirm-email/": "only right after signing up",
    "accounts/confirm-email/<str:key>/": "only from the e-mailed confirmation link",
    "accounts/inactive/": "only for a deactivated user",
    "accounts/login/code/confirm/": "only after asking for a login code",
    "accounts/password/reset/key/<str:uidb36>-<str:key>/": "only from the e-mailed reset link",
    "accounts/password/reset/key/done/": "only after a reset",
    "accounts/password/set/": "only for a user without a password",
    "accounts/reauthenticate/code/": "only when reauthenticating by code",
    "accounts/reauthenticate/code/confirm/": "only when reauthenticating by code",
}
# Whole areas that are not the customer portal: the back office (Django's admin) and the API.
NOT_PORTAL = re.compile(r"^manage/|^api/v1/")


@dataclass
class Demo:
    """The demo customer's objects (Northwind Traders at acme), to fill the pages' ids."""

    tenant: Tenant
    contact: Contact
    open_invoice: Invoice
    paid_invoice: Invoice
    subscription: Subscription
    quote: Quote
    order: Order
    package: Package
    tariff: Tariff
    method: PaymentMethod
    request: QuoteRequest
    legal_id: int
    payment_link: PaymentLink
    checkout: Checkout | None = None
    portal_link: str = ""
    visited: set[str] = field(default_factory=set)


def demo_world(fake_stripe, settings) -> Demo:
    call_command("seed_demo")
    acme = Tenant.objects.get(slug="acme")
    take_cards_through(fake_stripe, acme, settings)
    contact = Contact.objects.select_related("customer", "user").get(
        user__email="customer1@acme.test"
    )
    customer = contact.customer
    invoices = Invoice.objects.filter(customer=customer).order_by("id")
    paid = invoices.filter(status="paid").last()
    # A credit note on a paid invoice: the invoice's page then lists it.
    credit_note_issue(
        invoice=paid, actor=SYSTEM, today=timezone.localdate(), reason="Goodwill gesture"
    )
    tariff = Tariff.objects.filter(module__tenant=acme).order_by("id").first()
    request = quote_request_create(
        customer=customer, actor=contact.user, items=[ItemIn(tariff, 1, [])], note="Two seats"
    )
    # An order placed and not paid yet: its checkout's payment page.
    hosting = Tariff.objects.filter(module__tenant=acme, name="Small").get()
    checkout = checkout_place(
        customer=customer,
        actor=contact.user,
        key=uuid.uuid4(),
        choice=Choice(tariff=hosting),
        module_data={},
        terms_shown=[],
        accepted=True,
        today=timezone.localdate(),
    )
    return Demo(
        tenant=acme,
        checkout=checkout,
        contact=contact,
        open_invoice=invoices.filter(status="open").first(),
        paid_invoice=paid,
        subscription=Subscription.objects.filter(customer=customer).order_by("id").first(),
        quote=Quote.objects.filter(customer=customer, status="sent").get(),
        order=Order.objects.filter(customer=customer).order_by("id").first(),
        package=Package.objects.filter(tenant=acme, kind="credits").order_by("id").first(),
        tariff=tariff,
        method=save_card(None, fake_stripe, customer=customer, actor=contact.user),
        request=request,
        legal_id=LegalDocument.objects.filter(tenant=acme).order_by("id").first().pk,
        payment_link=PaymentLink.objects.filter(tenant=acme).order_by("id").first(),
        portal_link=portal_link_path(contact),
    )


def portal_pages(d: Demo) -> dict[str, str]:
    """Pattern → the demo customer's page for it, once logged in."""
    sub = d.subscription.pk
    return {
        "": "/",
        "subscriptions/": "/subscriptions/",
        "subscriptions/schedule/": "/subscriptions/schedule/",
        "subscriptions/<int:subscription_id>/": f"/subscriptions/{sub}/",
        "subscriptions/<int:subscription_id>/change/": f"/subscriptions/{sub}/change/",
        "subscriptions/<int:subscription_id>/cancel/": f"/subscriptions/{sub}/cancel/",
        "subscriptions/<int:subscription_id>/module-data/": f"/subscriptions/{sub}/module-data/",
        "order/": "/order/",
        "order/tariffs/<int:tariff_id>/": f"/order/tariffs/{d.tariff.pk}/",
        "order/checkouts/<uuid:key>/": f"/order/checkouts/{d.checkout.key}/",
        "invoices/": "/invoices/",
        "invoices/<int:invoice_id>/": f"/invoices/{d.paid_invoice.pk}/",
        "invoices/<int:invoice_id>/pay/": f"/invoices/{d.open_invoice.pk}/pay/",
        "invoices/recurring/": "/invoices/recurring/",
        "invoices/statement/": "/invoices/statement/",
        "payments/": "/payments/",
        "quotes/": "/quotes/",
        "quotes/<int:quote_id>/": f"/quotes/{d.quote.pk}/",
        "quotes/<int:quote_id>/decline/": f"/quotes/{d.quote.pk}/decline/",
        "quotes/request/": "/quotes/request/",
        "quotes/requests/": "/quotes/requests/",
        "quotes/requests/<int:request_id>/": f"/quotes/requests/{d.request.pk}/",
        "credits/": "/credits/",
        "credits/packages/<int:package_id>/": f"/credits/packages/{d.package.pk}/",
        "payment-methods/": "/payment-methods/",
        "payment-methods/add/": "/payment-methods/add/",
        "payment-methods/<int:method_id>/remove/": f"/payment-methods/{d.method.pk}/remove/",
        "orders/": "/orders/",
        "orders/<int:order_id>/": f"/orders/{d.order.pk}/",
        "contract/": "/contract/",
        "contract/edit/": "/contract/edit/",
        "contract/close/": "/contract/close/",
        "account/export/": "/account/export/",
        "legal/<int:document_id>/": f"/legal/{d.legal_id}/",
        "accounts/email/": "/accounts/email/",
        "accounts/password/change/": "/accounts/password/change/",
        "accounts/language/": "/accounts/language/",
        "accounts/2fa/": "/accounts/2fa/",
        "accounts/2fa/totp/activate/": "/accounts/2fa/totp/activate/",
        "accounts/reauthenticate/": "/accounts/reauthenticate/",
    }


def public_pages(d: Demo) -> dict[str, str]:
    """Pattern → a page a visitor opens without logging in."""
    invoice_link = invoice_link_path(d.open_invoice)
    quote_link = quote_link_path(d.quote)
    return {
        "accounts/login/": "/accounts/login/",
        "accounts/login/code/": "/accounts/login/code/",
        "accounts/login/link/": "/accounts/login/link/",
        "accounts/signup/": "/accounts/signup/",
        "accounts/password/reset/": "/accounts/password/reset/",
        "accounts/password/reset/done/": "/accounts/password/reset/done/",
        "l/invoice/<str:token>/": invoice_link,
        "l/invoice/<str:token>/pay/": f"{invoice_link}pay/",
        "l/quote/<str:token>/": quote_link,
        "l/quote/<str:token>/decline/": f"{quote_link}decline/",
        "l/portal/<str:token>/": d.portal_link,
        "buy/<slug:slug>/": f"/buy/{d.payment_link.slug}/",
    }


# Pages seen again on a 360 px phone.
PHONE = ("", "invoices/", "invoices/<int:invoice_id>/", "invoices/<int:invoice_id>/pay/")
PHONE_PUBLIC = ("accounts/login/", "l/invoice/<str:token>/pay/", "l/quote/<str:token>/")


DANGLING_DESCRIBEDBY = """() => [...document.querySelectorAll("[aria-describedby]")].flatMap(
    (el) => el.getAttribute("aria-describedby").split(/\\s+/).filter(
        (id) => id && !document.getElementById(id)))"""


@dataclass
class Audit:
    axe: Axe = field(default_factory=Axe)
    pages: int = 0
    by_impact: Counter = field(default_factory=Counter)
    blocking: list[str] = field(default_factory=list)
    other: Counter = field(default_factory=Counter)
    where: dict[str, list[str]] = field(default_factory=dict)
    patterns: int = 0  # URL patterns the page views cover

    def check(self, page, label: str) -> None:
        result = self.axe.run(page, context={"exclude": EXCLUDE})
        self.pages += 1
        # axe does not follow aria-describedby: a field's error or help text it names must exist.
        dangling = page.evaluate(DANGLING_DESCRIBEDBY)
        if dangling:
            self.blocking.append(f"{label}: aria-describedby names no element: {dangling}")
        for violation in result.response["violations"]:
            impact = violation["impact"] or "minor"
            self.by_impact[impact] += len(violation["nodes"])
            if impact in BLOCKING:
                targets = "; ".join(
                    " ".join(node["target"]) + " → " + node["failureSummary"].replace("\n", " ")
                    for node in violation["nodes"][:3]
                )
                self.blocking.append(f"{label}: {violation['id']} ({impact}): {targets}")
            else:
                key = f"{violation['id']} ({impact})"
                self.other[key] += 1
                self.where.setdefault(key, []).append(label)

    def summary(self) -> str:
        impacts = ", ".join(f"{k}: {v}" for k, v in sorted(self.by_impact.items())) or "none"
        covering = f" of {self.patterns} URL patterns" if self.patterns else ""
        lines = [
            f"axe-core: {self.pages} page views{covering} checked; violations by impact: {impacts}"
        ]
        lines += [
            f"  not blocking: {k} on {n} page views, e.g. {', '.join(self.where[k][:3])}"
            for k, n in self.other.most_common()
        ]
        return "\n".join(lines)


def open_page(page, live_server, path: str, slug: str = "acme") -> None:
    response = page.goto(tenant_url(live_server, slug, path))
    assert response is not None and response.status < 400, f"{path}: {response and response.status}"


def switch_language(page, code: str) -> None:
    if page.locator("html").get_attribute("lang") != code:
        with page.expect_navigation():
            page.select_option("#lang-select", code)
    assert page.locator("html").get_attribute("lang") == code


def log_in(page, live_server, email: str = "customer1@acme.test", slug: str = "acme") -> None:
    page.goto(tenant_url(live_server, slug, "/accounts/login/"))
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def test_every_portal_page_passes_axe_in_two_languages_and_on_a_phone(
    live_server, page, shoot, fake_stripe, settings
):
    fake_stripe.reset()
    demo = demo_world(fake_stripe, settings)
    portal, public = portal_pages(demo), public_pages(demo)
    # The second customer is asked to accept the terms before anything else: that page.
    terms = {"legal/accept/": "/legal/accept/"}

    tenant_routes = {r for r in routes() if not NOT_PORTAL.match(r)}
    covered = set(portal) | set(public) | set(terms) | set(NOT_PAGES)
    assert not tenant_routes - covered, (
        f"pages neither checked by axe nor listed in NOT_PAGES: {sorted(tenant_routes - covered)}"
    )
    assert not covered - tenant_routes, (
        f"no such pattern any more: {sorted(covered - tenant_routes)}"
    )

    audit = Audit(patterns=len(portal) + len(public) + len(terms))
    for code in LANGUAGES:
        # Logged out first: the language menu is on every page, the login page too.
        page.context.clear_cookies()
        open_page(page, live_server, "/accounts/login/")
        switch_language(page, code)
        for path in public.values():
            open_page(page, live_server, path)
            audit.check(page, f"[{code}] {path}")
        page.context.clear_cookies()
        log_in(page, live_server, "customer2@acme.test")
        switch_language(page, code)
        open_page(page, live_server, terms["legal/accept/"])
        audit.check(page, f"[{code}] /legal/accept/")

        page.context.clear_cookies()
        log_in(page, live_server)
        switch_language(page, code)
        # The open invoice too, beside the paid one of the pattern's entry: its Pay button.
        for path in [*portal.values(), f"/invoices/{demo.open_invoice.pk}/"]:
            open_page(page, live_server, path)
            audit.check(page, f"[{code}] {path}")

    page.set_viewport_size({"width": 360, "height": 780})
    for pattern in PHONE:
        open_page(page, live_server, portal[pattern])
        audit.check(page, f"[360px] {portal[pattern]}")
        shoot(f"a11y-360-portal-{pattern.split('/')[0] or 'dashboard'}-{pattern.count('/')}")
    # Refusals (still logged in): an unknown object of the portal, a broken invoice link.
    for path in ("/invoices/999999/", "/l/invoice/not-a-token/"):
        response = page.goto(tenant_url(live_server, "acme", path))
        assert response is not None and response.status == 404, path
        audit.check(page, f"[404] {path}")

    # The export page once a ZIP file is asked for: its progress bar, then its download.
    open_page(page, live_server, "/account/export/")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.wait_for_selector(".job-progress")
    audit.check(page, "[360px] /account/export/ with a ZIP file")

    page.context.clear_cookies()
    for pattern in PHONE_PUBLIC:
        open_page(page, live_server, public[pattern])
        audit.check(page, f"[360px] {public[pattern]}")
        shoot(f"a11y-360-public-{pattern.strip('/').replace('/', '-').replace('<str:token>', 't')}")

    # The other business: its own colour, its bank's payment page, its customer's language.
    page.set_viewport_size({"width": 1280, "height": 860})
    page.context.clear_cookies()
    open_page(page, live_server, "/accounts/login/", "globex")
    audit.check(page, "[globex] /accounts/login/")
    log_in(page, live_server, "customer1@globex.test", "globex")
    invoices = Invoice.objects.filter(customer__contacts__user__email="customer1@globex.test")
    for path in (
        "/",
        "/subscriptions/",
        "/invoices/",
        f"/invoices/{invoices.order_by('id').first().pk}/",
        f"/invoices/{invoices.filter(status='open').order_by('id').first().pk}/pay/",
        "/quotes/",
    ):
        open_page(page, live_server, path, "globex")
        audit.check(page, f"[globex] {path}")

    print("\n" + audit.summary())
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / AXE_REPORT).write_text(audit.summary() + "\n")
    assert not audit.blocking, "serious or critical accessibility violations:\n" + "\n".join(
        audit.blocking
    )


# What the keyboard focuses must show it: an outline or a ring (box-shadow).
FOCUS_SHOWN = """() => {
    const el = document.activeElement, style = getComputedStyle(el);
    const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    return outlined || style.boxShadow !== "none";
}"""
FOCUSED = """() => {
    const el = document.activeElement;
    const text = (el.textContent || "").trim().slice(0, 30);
    return el.tagName.toLowerCase() + (el.name ? `[name=${el.name}]` : "")
        + (el.className ? "." + el.className : "") + " " + text;
}"""


def axe_clean(page, label: str) -> None:
    audit = Audit()
    audit.check(page, label)
    assert not audit.blocking, "\n".join(audit.blocking)


def tab_to(page, selector: str, *, limit: int = 40) -> list[str]:
    """Press Tab until the element matching `selector` has the focus (at once if it has it
    already); every element focused on the way shows that it is. Returns them."""
    path: list[str] = []
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return path
        page.keyboard.press("Tab")
        path.append(page.evaluate(FOCUSED))
        assert page.evaluate(FOCUS_SHOWN), f"no visible focus on {path[-1]}"
    raise AssertionError(f"{selector} not reached with {limit} presses of Tab: {path}")


def described_by(page, selector: str) -> str:
    """The text of the elements a field's aria-describedby names (each must exist)."""
    return page.evaluate(
        """(s) => {
            const ids = (document.querySelector(s).getAttribute("aria-describedby") || "")
                .split(/\\s+/).filter(Boolean);
            return ids.map((id) => {
                const el = document.getElementById(id);
                if (!el) throw new Error("aria-describedby names no element: " + id);
                return el.textContent.trim();
            }).join(" ");
        }""",
        selector,
    )


def test_log_in_skip_to_the_content_and_pay_with_the_keyboard_alone(
    live_server, page, shoot, fake_stripe, settings
):
    fake_stripe.reset()
    demo = demo_world(fake_stripe, settings)
    page.goto(tenant_url(live_server, "acme", "/accounts/login/"))

    # The language menu: the arrow keys go through the languages without leaving the page;
    # Enter chooses.
    page.focus("#lang-select")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    assert page.locator("html").get_attribute("lang") == "en"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") != "en"
    switch_language(page, "en")

    # A wrong password first: the form says so, as an alert read out at once.
    tab_to(page, "input[name=login]")
    page.keyboard.type("customer1@acme.test")
    tab_to(page, "input[name=password]")
    page.keyboard.type("not-the-password")
    tab_to(page, "main button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    alert = page.locator("main [role=alert]")
    assert alert.count() == 1 and "not correct" in alert.inner_text(), page.content()
    shoot("a11y-login-wrong-password")
    axe_clean(page, "login with a wrong password")

    tab_to(page, "input[name=password]")
    page.keyboard.type(DEMO_PASSWORD)
    tab_to(page, "main button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("#dash-due")

    # The skip link comes first and takes the keyboard past the header and the menu.
    page.goto(tenant_url(live_server, "acme", f"/invoices/{demo.open_invoice.pk}/pay/"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches('a.skip-link')")
    assert page.locator("a.skip-link").bounding_box()["y"] >= 0  # shown while focused
    shoot("a11y-skip-link-focused")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')"), page.evaluate(FOCUSED)

    # The card saved is chosen; the payment goes with the keyboard.
    tab_to(page, "main form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("text=Thank you")
    demo.open_invoice.refresh_from_db()
    assert demo.open_invoice.status == "paid"


def test_approve_a_quote_with_the_keyboard_after_its_errors_are_announced(
    live_server, page, shoot, fake_stripe, settings
):
    fake_stripe.reset()
    demo = demo_world(fake_stripe, settings)
    page.goto(tenant_url(live_server, "acme", quote_link_path(demo.quote)))

    # Sent empty: each field in error says so and names its error text; the keyboard is
    # brought back to the first of them.
    tab_to(page, "#approve button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    terms, name = "input[name=accept_terms]", "#approve input[name=name]"
    for invalid in (terms, name):
        assert page.get_attribute(invalid, "aria-invalid") == "true", invalid
        assert described_by(page, invalid), f"{invalid} names no error text"
    assert page.evaluate("(s) => document.activeElement.matches(s)", terms)
    shoot("a11y-quote-approve-errors")
    axe_clean(page, "quote approval sent empty")

    page.keyboard.press("Space")
    assert page.is_checked(terms)
    tab_to(page, name)
    page.keyboard.type("Carla Customer")
    tab_to(page, "#approve button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("text=is approved")
    demo.quote.refresh_from_db()
    assert demo.quote.status == "converted"
