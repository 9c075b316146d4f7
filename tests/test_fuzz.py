"""The fuzzer: every URL pattern, portal and back office, with every persona; bad values in every
form and in query strings and path ids. No answer may be a 5xx; every answer carries the
Content-Security-Policy (the project exempts no response from it, file downloads included); and
an answer that refuses the input (4xx, or the form shown again with its errors) must have
written nothing: no row added or removed in any table of ours or of logins and sessions, and
no column changed in the tables of money, state and access.

The back office's patterns come from `admin.site.get_urls()`, each model admin's own pages
included; a guard fails on a pattern that is neither walked nor listed with the reason why not.

Bounded: each URL is opened once per persona with its real ids and a handful of junk ones, and
each form found is submitted with a fixed list of bad values (deterministic, so a failure is
reproduced by running the test again). The closing summary is printed in the test output.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import connection, models
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern
from django.utils import timezone

from billing.documents.credit_notes import credit_note_issue
from billing.documents.links import invoice_link_path
from billing.models import PaymentLink, TaxRate
from billing.payments.services import invoice_mark_paid
from contracts.models import Customer
from contracts.portal_links import portal_link_path
from core.models import Job, JobKind, JobState, StaffMembership, Tenant, User
from core.roles import SYSTEM
from core.tenancy import tenant_cache_clear
from quotes.approval import quote_approve
from quotes.lifecycle import quote_send
from quotes.models import QuoteLine
from quotes.requests import ItemIn, quote_request_create
from subscriptions.models import Department, ModuleField
from subscriptions.orders import order_create
from subscriptions.services import subscription_option_add, subscription_order
from tests.billing.test_payments import save_card
from tests.billing.test_signed_links import issue
from tests.conftest import client_for, host_of
from tests.factories import OptionFactory, TariffFactory
from tests.quotes.helpers import approval, pending_quote

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

# Values no form should choke on: empty, huge, negative, fractional, non-finite, impossible
# dates, control characters, unicode, injection strings, wrong shapes.
BAD_VALUES = [
    "",
    "x" * 5000,
    "-1",
    "0.0001",
    "1e29",
    "99999999999999999999999999",
    "NaN",
    "2026-02-30",
    "\x00",
    "☃ \u202e Ünïcödé ' OR 1=1 -- <script>",
]
JUNK_IDS = ["0", "99999999999999999999", "abc", "-1", "%00"]
JUNK_QUERIES = [
    "?q=%00",
    "?q=" + "x" * 3000,
    "?page=-1",
    "?p=-1",
    "?p=99999999999999999999",
    "?page=99999999999999999999",
    "?o=abc",
    "?show=%00",
    "?start=0000-00-00&end=99999-01-01",
    "?next=//evil.example/",
    "?created_at__year=0",
    "?created_at__year=99999999999",
    "?id__exact=abc",
    "?status__exact=%00",
]
# Never followed: they end the session the rest of the walk needs, or only redirect away.
SKIP = re.compile(r"^/accounts/logout/|^/manage/logout/|^/i18n/")


@dataclass
class Tally:
    urls: set[str] = field(default_factory=set)
    ok: set[str] = field(default_factory=set)  # paths answered 200
    forms: set[str] = field(default_factory=set)
    requests: int = 0
    submissions: int = 0
    failures: list[str] = field(default_factory=list)
    walked: set[str] = field(default_factory=set)  # back-office URL patterns requested
    reached: set[str] = field(default_factory=set)  # … and answered (no 404), with real ids
    state: dict[str, str] | None = None  # the database as the last refused POST left it


class FormParser(HTMLParser):
    """The POST forms of a page: their action, and each field's kind and the value the page
    would send (a select's chosen option, a textarea's text)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                self._form = {"action": a.get("action") or "", "fields": {}}
                self.forms.append(self._form)
            else:
                self._form = None
            return
        if self._form is None:
            return
        fields = self._form["fields"]
        if tag == "option" and self._select is not None:
            kind, value = fields[self._select]
            if value is None or "selected" in a:
                fields[self._select] = (kind, a.get("value") or "")
        elif tag in ("input", "select", "textarea") and a.get("name"):
            kind = a.get("type") or tag
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                fields.setdefault(a["name"], (kind, None))
                return
            fields[a["name"]] = (kind, None if tag == "select" else a.get("value") or "")
            self._select = a["name"] if tag == "select" else None
            self._textarea = a["name"] if tag == "textarea" else None

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea is not None:
            kind, value = self._form["fields"][self._textarea]
            self._form["fields"][self._textarea] = (kind, (value or "") + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def routes(resolvers=None, prefix: str = "") -> list[str]:
    """Every URL pattern as a path template, `<converter:name>` kept."""
    out = []
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        text = str(entry.pattern)
        if isinstance(entry.pattern, RegexPattern):  # give its groups a plain placeholder
            text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<str:\1>", text).strip("^$")
            text = text.replace("\\", "")
        if isinstance(entry, URLResolver):
            out += routes(entry.url_patterns, prefix + text)
        elif isinstance(entry, URLPattern):
            out.append(prefix + text)
    return sorted(set(out))


def world_data(world) -> dict[str, list[str]]:
    """Real objects for the ids in paths, the way a business that has been running has them."""
    TaxRate.objects.get_or_create(
        tenant=world.acme, is_default=True, defaults={"name": "Standard", "rate": Decimal("19")}
    )
    open_invoice = issue(world)
    paid = issue(world)
    invoice_mark_paid(invoice=paid, actor=SYSTEM, amount=paid.gross_amount)
    credit_note_issue(invoice=issue(world), actor=SYSTEM, today=timezone.localdate(), reason="No")
    tariff = TariffFactory(module__tenant=world.acme, price="49.00")
    option = OptionFactory(tenant=world.acme)
    tariff.options.add(option)
    module_fields(tariff.module)
    subscription = subscription_order(
        customer=world.alpha, tariff=tariff, actor=SYSTEM, start_on=date(2026, 3, 1)
    )
    subscription_option_add(
        subscription=subscription,
        option=option,
        actor=world.staff["acme", "owner"],
        today=date(2026, 3, 1),
    )
    quotes = quote_rows(world, tariff, option)
    # For the back office's own pages: a department a customer may be given access to, and a
    # priced one-off order waiting to be invoiced.
    Department.objects.create(tenant=world.acme, name="Support")
    order_create(customer=world.alpha, title="Set-up", actor=SYSTEM, amount=Decimal("200.00"))
    link = PaymentLink.objects.create(tenant=world.acme, name="Offer", module=tariff.module)
    link.tariffs.set([tariff])
    link.options.set([option])
    ids = {
        "invoice_id": [str(open_invoice.pk), str(paid.pk)],
        "payment_id": [str(paid.allocations.get().payment_id)],
        "subscription_id": [str(subscription.pk)],
        "customer_id": [str(world.alpha.pk)],
        "module_id": [str(tariff.module_id)],
        "tenant": [world.acme.slug],
        "token": [
            invoice_link_path(open_invoice).split("/")[3],
            portal_link_path(world.alpha.contacts.get(user=world.alice)).split("/")[3],
        ],
        "app_label": ["billing", "contracts", "subscriptions", "core", "quotes"],
        "quote_id": [str(q.pk) for q in quotes],
        "slug": [link.slug],  # a payment link's public page
    }
    return ids


def module_fields(module) -> None:
    """One module field of each kind and editor, so the module-data forms are fuzzed too."""
    specs = [
        ("domain", "text", "customer", {"required": True, "max_length": 20}),
        ("lines", "number", "staff", {"min_value": 1, "max_value": 9, "decimal_places": 1}),
        ("tier", "choice", "manager", {"choices": "Gold\nSilver"}),
        ("live_on", "date", "customer", {}),
        ("managed", "yes_no", "customer", {}),
    ]
    for position, (key, kind, editor, extra) in enumerate(specs):
        ModuleField.objects.create(
            tenant=module.tenant,
            module=module,
            key=key,
            kind=kind,
            editor=editor,
            position=position,
            label_en=key.title(),
            **extra,
        )


def quote_rows(world, tariff, option) -> list:
    """A draft first (the back office's walk opens the first row of each model: the draft's
    page has the most forms), then a sent quote still open today (its page carries the approve
    and decline forms), one approved with a deposit (its balance is still to invoice), and a
    customer's request."""
    draft = pending_quote(world.alpha)
    today = timezone.localdate()
    sent = quote_send(quote=pending_quote(world.alpha, today=today), actor=SYSTEM, today=today)
    with_deposit = pending_quote(world.alpha, today=today, deposit=("percent", Decimal(30)))
    quote_approve(
        quote=quote_send(quote=with_deposit, actor=SYSTEM, today=today),
        actor=world.alice,
        approval=approval(name="Alice"),
        today=today,
    )
    quote_request_create(
        customer=world.alpha, actor=world.alice, items=[ItemIn(tariff, 2, [option])], note="Hi"
    )
    return [draft, sent]


# Back-office URL patterns (as `routes(admin.site.get_urls())` writes them) the walk never
# opens, each with the reason. Every other pattern is walked: the guard below fails on one that
# is neither walked nor listed here.
ADMIN_NOT_WALKED = {
    "logout/": "ends the session the rest of the walk needs (tested in tests/core/test_login.py)",
}
# Patterns the walk opens whose every answer is a 404 by design, so that a 404 there does not
# mean the walk missed the page.
ADMIN_ALWAYS_404 = {
    "<str:url>": "the catch-all after every other pattern: an address the back office lacks",
    "r/<path:content_type_id>/<path:object_id>/": (
        "'view on site': no model of ours has a page of its own (get_absolute_url)"
    ),
}
# The model of the ids in a path parameter other than the page's own row (`object_id`, `id`).
PATH_MODELS = {"customer_id": "contracts.Customer", "department_id": "subscriptions.Department"}
# The row whose 'view on site' link the walk follows (the pattern names no model).
VIEW_ON_SITE_MODEL = "contracts.Customer"


@dataclass(frozen=True)
class Page:
    path: str
    template: str = ""  # the back office's URL pattern it fills in, as `routes()` writes it
    real: bool = False  # every parameter is a real object of the business (no junk id)


def admin_routes() -> list[str]:
    return routes(admin.site.get_urls())


def model_of(template: str) -> type[models.Model] | None:
    """The registered model whose pages `template` belongs to (`billing/invoice/…`)."""
    parts = template.split("/")
    for model in admin.site._registry:
        if parts[:2] == [model._meta.app_label, model._meta.model_name]:
            return model
    return None


def page_rank(template: str) -> tuple[int, int]:
    """Sort key: the site's own pages first, then each model in the order it was registered:
    its list, add form and other pages of no row, then the row's change, history and other
    pages, and its deletion last (the fuzzed form may well delete the row)."""
    model = model_of(template)
    if model is None:
        return (-1, 0)
    tail = template.split("/", 2)[2]
    row_page = re.match(r"<\w+:object_id>/(.*)$", tail)
    if row_page is None:
        rank = {"": 0, "add/": 1}.get(tail, 2)
    else:
        rank = {"change/": 3, "history/": 4, "": 5, "delete/": 7}.get(row_page[1], 6)
    return (list(admin.site._registry).index(model), rank)


def sample_rows(queryset: models.QuerySet) -> list[str]:
    """The first row, and the first in each other status (or kind): a draft's page and an issued
    invoice's offer other forms. At most four."""
    names = {f.name for f in queryset.model._meta.concrete_fields}
    state = next((name for name in ("status", "kind") if name in names), None)
    rows = queryset.order_by("pk")
    if state is None:
        return [str(pk) for pk in rows.values_list("pk", flat=True)[:1]]
    first: dict[object, int] = {}
    for pk, value in rows.values_list("pk", state)[:500]:
        first.setdefault(value, pk)
    return [str(pk) for pk in sorted(first.values())[:4]]


def finished_export(tenant, user) -> Job:
    """A back-office export the staff member asked for, done: its page, progress and file."""
    job = Job.objects.create(
        tenant=tenant,
        kind=JobKind.STAFF_EXPORT,
        requested_by=user,
        state=JobState.DONE,
        params={"model": "billing.invoice", "back_url": "/manage/billing/invoice/"},
        filename="invoices.csv",
        content_type="text/csv",
        expires_at=timezone.now() + timedelta(days=1),
    )
    job.file.save("invoices.csv", ContentFile(b"number\n"), save=True)
    return job


def admin_paths(tenant, user) -> list[Page]:
    """Every back-office URL pattern but ADMIN_NOT_WALKED, its parameters filled with rows the
    back office shows this staff member at this business (as its own queryset scopes them), and
    with junk ids."""
    request = RequestFactory().get("/manage/", HTTP_HOST=host_of(tenant))
    request.user, request.tenant = user, tenant

    def rows_of(model: type[models.Model]) -> list[str]:
        model_admin = admin.site._registry.get(model)
        if model_admin is not None:
            return sample_rows(model_admin.get_queryset(request))
        return sample_rows(model._default_manager.filter(tenant=tenant))

    def values(template: str, name: str) -> tuple[list[str], list[str]]:
        """Real values, then junk ones."""
        if name in ("object_id", "id"):
            rows = rows_of(model_of(template) or apps.get_model(VIEW_ON_SITE_MODEL))
            if is_django_page(template):  # the first row; junk on change/ (or with no row)
                if template.endswith("/change/"):
                    return rows[:1], JUNK_IDS
                return rows[:1], [] if rows else JUNK_IDS[:1]
            return rows, JUNK_IDS[:3]
        if name == "content_type_id":
            model = apps.get_model(VIEW_ON_SITE_MODEL)
            return [str(ContentType.objects.get_for_model(model).pk)], JUNK_IDS[:3]
        if name == "job_id":  # the staff member's own background jobs (core.admin_jobs)
            return sample_rows(Job.objects.filter(tenant=tenant, requested_by=user)), JUNK_IDS[:3]
        if name == "line_id":  # a quote's lines (a recurring one has a page of its options)
            return sample_rows(QuoteLine.objects.filter(quote__tenant=tenant)), JUNK_IDS[:3]
        if name in PATH_MODELS:
            return rows_of(apps.get_model(PATH_MODELS[name])), JUNK_IDS[:3]
        if name == "app_label":
            labels = sorted({m._meta.app_label for m in admin.site._registry})
            return labels, ["nosuchapp"]
        if name == "url":
            return ["no/such/page/"], []
        return [], []  # unknown: the guard reports the pattern as not walked

    paths = []
    for template in sorted(admin_routes(), key=page_rank):
        if template in ADMIN_NOT_WALKED:
            continue
        params = re.findall(r"<(?:(\w+):)?(\w+)>", template)
        filled = [values(template, name) for _converter, name in params]
        # Every combination of real values; then each junk value, the other parameters real.
        combinations = [
            [(v, True) for v in combo] for combo in itertools.product(*(r for r, _ in filled))
        ]
        first = [(r[0], True) if r else (j[0], False) if j else ("", False) for r, j in filled]
        for i, (_real, junk) in enumerate(filled):
            combinations += [[*first[:i], (v, False), *first[i + 1 :]] for v in junk]
        for combination in combinations:
            path = template
            for (converter, name), (value, _real) in zip(params, combination, strict=True):
                path = path.replace(f"<{converter + ':' if converter else ''}{name}>", value, 1)
            paths.append(Page(f"/manage/{path}", template, all(real for _v, real in combination)))
        if template == "autocomplete/":
            paths += [
                Page(
                    f"/manage/autocomplete/?app_label={model._meta.app_label}"
                    f"&model_name={model._meta.model_name}&field_name=customer&term=%00",
                    template,
                    False,
                )
                for model in admin.site._registry
            ]
    return paths


DJANGO_PAGES = {
    "",
    "add/",
    "<path:object_id>/",
    *(f"<path:object_id>/{tail}/" for tail in ("change", "history", "delete")),
}


def is_django_page(template: str) -> bool:
    """A model's pages that every Django admin has (list, add, change, history, delete)."""
    return model_of(template) is not None and template.split("/", 2)[2] in DJANGO_PAGES


def is_admin_list(template: str) -> bool:
    """The back office's home page, and a model's list: where query strings matter."""
    return template == "" or (model_of(template) is not None and template.count("/") == 2)


def is_list_page(path: str) -> bool:
    """A page without an id in its path (lists, forms to add): where query strings matter."""
    return (
        "?" not in path
        and not any(
            part.isdigit() or part in JUNK_IDS or part.lstrip("-").isdigit()
            for part in path.split("/")
        )
        and not path.endswith("/add/")
        and "autocomplete" not in path
    )


def portal_paths(ids: dict[str, list[str]]) -> list[str]:
    paths = []
    for template in routes():
        if template.startswith("manage/"):
            continue
        params = re.findall(r"<(?:(\w+):)?(\w+)>", template)
        choices = [[*ids.get(name, ["1"]), *JUNK_IDS[:3]] for _converter, name in params]
        variants = [template]
        for (converter, name), values in zip(params, choices, strict=True):
            token = f"<{converter + ':' if converter else ''}{name}>"
            variants = [v.replace(token, value, 1) for v in variants for value in values]
        paths += ["/" + v for v in variants]
    return sorted(set(paths))


# Counted: every table of ours, and those of logins, sessions and second factors.
COUNTED_APPS = ("core", "contracts", "subscriptions", "billing", "quotes")
COUNTED_APPS += ("auth", "sessions", "account", "mfa")
# Also checksummed, so that an UPDATE shows too: the tables of money, state and access. Not the
# append-only logs (audit, events, ledger): a row added there shows in the counts.
CHECKSUMMED = (
    "core.Tenant",
    "core.User",
    "core.StaffMembership",
    "core.ApiKey",
    "contracts.Customer",
    "contracts.Contact",
    "subscriptions.Tariff",
    "subscriptions.Subscription",
    "subscriptions.SubscriptionOption",
    "subscriptions.Order",
    "subscriptions.CreditAccount",
    "subscriptions.DepartmentAccess",
    "subscriptions.PackagePurchase",
    "subscriptions.DiscountCode",
    "billing.Invoice",
    "billing.InvoiceLine",
    "billing.CreditNote",
    "billing.NumberSequence",
    "billing.Payment",
    "billing.PaymentAllocation",
    "billing.Refund",
    "billing.PaymentMethod",
    "billing.PaymentSettings",
    "billing.PaymentLink",
    "billing.DunningCase",
    "billing.TaxRate",
    "quotes.Quote",
    "quotes.QuoteLine",
    "quotes.QuoteRequest",
    "account.EmailAddress",
    "mfa.Authenticator",
)
# Long texts and blobs are left out of the checksum (documents, secrets, JSON): the columns
# that say what a row is worth and what state it is in are what a refused form must not move.
UNCHECKED_FIELDS = (models.TextField, models.JSONField, models.BinaryField)


def snapshot_sql() -> str:
    """One query: a count of each counted table, and each row of each checksummed table as
    one text (its columns joined), all labelled by table."""
    quote = connection.ops.quote_name
    parts = []
    for model in apps.get_models():
        if model._meta.app_label in COUNTED_APPS and not model._meta.proxy:
            name = model._meta.db_table
            parts.append(f"SELECT '{name}', CAST(COUNT(*) AS TEXT) FROM {quote(name)}")  # noqa: S608
    for label in CHECKSUMMED:
        model = apps.get_model(label)
        columns = [
            f"COALESCE(CAST({quote(f.column)} AS TEXT), '-')"
            for f in model._meta.concrete_fields
            if not isinstance(f, UNCHECKED_FIELDS)
        ]
        row = " || '|' || ".join(columns)
        parts.append(f"SELECT '{label}', {row} FROM {quote(model._meta.db_table)}")  # noqa: S608
    # Table and column names come from our own models, quoted by the database backend.
    return " UNION ALL ".join(parts)


def db_state() -> dict[str, str]:
    """Each counted table's row count, each checksummed table's md5 over its rows."""
    with connection.cursor() as cursor:
        cursor.execute(snapshot_sql())
        rows = cursor.fetchall()
    state: dict[str, list[str]] = {}
    for table, text in rows:
        state.setdefault(table, []).append(text)
    return {
        table: texts[0] if len(texts) == 1 and "." not in table else md5_of(texts)
        for table, texts in state.items()
    }


def md5_of(texts: list[str]) -> str:
    # Sorted: a database may return the rows of an untouched table in another order.
    return hashlib.md5("\n".join(sorted(texts)).encode(), usedforsecurity=False).hexdigest()


def refused(response) -> bool:
    """An answer that turned the input down: 4xx, or the form again with its errors."""
    if 400 <= response.status_code < 500:
        return True
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return False
    body = response.content.decode(errors="replace")
    return 'class="errorlist' in body or 'class="errornote' in body


def visit(client: Client, method: str, path: str, tally: Tally, who: str, data=None):
    """The response (None if the view raised), after checking it: no 5xx, the policy header,
    and for a refused POST no row added, removed or changed."""
    tally.requests += 1
    # Nothing runs between two submissions but the requests themselves: the state measured
    # after a refused one is the state before the next (half the snapshots).
    before = (tally.state or db_state()) if method == "post" else None
    tally.state = None
    try:
        response = getattr(client, method)(path, data=data or {})
    except Exception as exc:  # the test client re-raises what a view raised: that is a 500
        tally.failures.append(f"{who} {method.upper()} {path}: {type(exc).__name__}: {exc}"[:300])
        return None
    if response.status_code >= 500:
        tally.failures.append(f"{who} {method.upper()} {path}: {response.status_code}")
    elif before is not None and refused(response):
        after = db_state()
        if after != before:
            changed = sorted(
                t for t in after.keys() | before.keys() if after.get(t) != before.get(t)
            )
            tally.failures.append(
                f"{who} POST {path}: refused ({response.status_code}) but wrote to {changed}"
            )
        else:
            tally.state = after
    if "Content-Security-Policy" not in response:
        tally.failures.append(f"{who} {method.upper()} {path}: no Content-Security-Policy")
    if response.status_code == 200 and method == "get":
        tally.ok.add(path)
    return response


def html_of(response) -> str:
    if (
        response is not None
        and response.status_code == 200
        and "html" in response.get("Content-Type", "")
    ):
        return response.content.decode(errors="replace")
    return ""


MAX_SUBMISSIONS_PER_FORM = 40


def fuzz_forms(client, path, html, tally, who) -> None:
    """Each form as the page fills it, with one field at a time given a bad value (so the
    other fields pass and the bad one reaches deep validation), then every field bad at once,
    then nothing at all."""
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        action = form["action"] or path
        if not action.startswith("/") or SKIP.match(action):
            continue
        tally.forms.add(action.split("?")[0])
        defaults = {
            name: value
            for name, (_kind, value) in form["fields"].items()
            if value is not None and name != "csrfmiddlewaretoken"
        }
        targets = [
            name
            for name, (kind, _value) in form["fields"].items()
            if kind != "hidden" and name != "csrfmiddlewaretoken"
        ] or list(defaults)
        # Every field twice (capped), each time with another bad value.
        for n in range(min(2 * len(targets), MAX_SUBMISSIONS_PER_FORM)):
            name = targets[n % len(targets)]
            value = BAD_VALUES[(n % len(targets) * 3 + n // len(targets) * 5) % len(BAD_VALUES)]
            tally.submissions += 1
            visit(client, "post", action, tally, who, {**defaults, name: value})
        for data in ({name: BAD_VALUES[5] for name in defaults}, {}):
            tally.submissions += 1
            visit(client, "post", action, tally, who, data)


# Who walks where: the portal's personas and the back office's roles. Forms are submitted by
# those who may use them; the others only open the pages (and must get no 5xx either).
PERSONAS = {
    "anonymous": ("portal", True),
    "alice (customer owner)": ("portal", True),
    "alice, cards taken": ("portal", True),
    "bob (other customer)": ("portal", False),
    "staff support": ("back office", False),
    "staff billing": ("back office", True),
    "staff manager": ("back office", True),
    "staff owner": ("back office", True),
}


# What a walk must at least reach, or it proves nothing (a persona logged out, a parser bug).
MIN_PAGES = {"portal": 5, "back office": 3}
MIN_FORMS = {
    "anonymous": 2,  # log in, password reset
    "alice (customer owner)": 4,
    "alice, cards taken": 5,
    "staff billing": 15,
    "staff manager": 15,
    "staff owner": 20,
}


def user_of(world, who: str):
    return {
        "anonymous": None,
        "alice (customer owner)": world.alice,
        "alice, cards taken": world.alice,
        "bob (other customer)": world.bob,
        "staff support": world.staff["acme", "support"],
        "staff billing": world.staff["acme", "billing"],
        "staff manager": world.staff["acme", "manager"],
        "staff owner": world.staff["acme", "owner"],
    }[who]


def keep_access(world, user) -> None:
    """A form may well switch off what the walk stands on (the business, the persona's role or
    login, a second factor required for staff): legitimate writes, put back before walking on."""
    Tenant.objects.filter(pk=world.acme.pk).update(
        is_active=True, staff_mfa_required=False, slug="acme"
    )
    tenant_cache_clear()
    if user is not None:
        User.objects.filter(pk=user.pk).update(is_active=True)
        role = {v: k for k, v in world.staff.items()}.get(user)
        if role is not None:
            StaffMembership.objects.filter(user=user, tenant=world.acme).update(
                role=role[1], is_active=True
            )


def report(name: str, tally: Tally) -> str:
    summary = (
        f"{len(tally.urls)} URLs, {len(tally.forms)} forms, {tally.submissions} form "
        f"submissions, {tally.requests} requests, {len(tally.failures)} failures"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"fuzz-{re.sub(r'[^a-z]+', '-', name)}.txt").write_text(
        f"{name}: {summary}\n"
        + "".join(f"  {line}\n" for line in tally.failures[:200])
        + "".join(f"  form: {action}\n" for action in sorted(tally.forms))
    )
    return summary


@pytest.mark.parametrize("who", PERSONAS)
def test_no_input_gives_a_server_error(world, who, request):
    area, submits = PERSONAS[who]
    if "cards taken" in who:  # the business takes cards (fake Stripe), and alice has one saved
        fake = request.getfixturevalue("stripe_acme")
        save_card(world, fake)
    user = user_of(world, who)
    ids = world_data(world)
    if area == "portal":
        pages = [Page(path) for path in portal_paths(ids)]
    else:
        finished_export(world.acme, user)
        pages = admin_paths(world.acme, user)
    tally = Tally()
    client = None
    for page in pages:
        path = page.path
        if SKIP.match(path):
            continue
        # A fresh login after anything was submitted (a form may end or switch the session).
        client = client or client_for(user, world.acme)
        tally.urls.add(path)
        tally.walked.add(page.template)
        response = visit(client, "get", path, tally, who)
        if page.real and response is not None and response.status_code != 404:
            tally.reached.add(page.template)
        html = html_of(response)
        if html and submits and "<form" in html:
            fuzz_forms(client, path, html, tally, who)
            keep_access(world, user)
            tally.state = client = None
        elif submits and page.template and response is not None and response.status_code == 405:
            # The address of a button (POST only), whose page may not show it for this row:
            # pressed as its form would press it.
            tally.forms.add(path)
            tally.submissions += 1
            visit(client, "post", path, tally, who)
            keep_access(world, user)
            tally.state = client = None
        if submits and (is_admin_list(page.template) if page.template else is_list_page(path)):
            client = client or client_for(user, world.acme)
            for query in JUNK_QUERIES:  # junk in the query string of every page without an id
                visit(client, "get", path + query, tally, who)
    summary = report(who, tally)
    assert not tally.failures, f"{who}: {summary}\n" + "\n".join(tally.failures[:80])
    # Not a walk past closed doors: each persona reached its pages and the forms it may use.
    assert len(tally.ok) >= MIN_PAGES[area], f"{who} opened only {len(tally.ok)} pages"
    assert len(tally.forms) >= MIN_FORMS.get(who, 0), f"{who} found only {len(tally.forms)} forms"
    if area == "back office":
        # Every URL pattern of the back office was walked, or is listed with the reason why not;
        # and each beyond a model's list, add, change, history and delete pages was answered
        # with real ids (a 403 for a role that may not is an answer).
        routes_ = set(admin_routes())
        unwalked = routes_ - tally.walked - set(ADMIN_NOT_WALKED)
        assert not unwalked, f"{who}: these back-office URL patterns were not walked: {unwalked}"
        unreached = {t for t in routes_ - tally.reached if not is_django_page(t)}
        unreached -= set(ADMIN_NOT_WALKED) | set(ADMIN_ALWAYS_404)
        assert not unreached, f"{who}: never answered with real ids (give them rows): {unreached}"


def test_every_back_office_url_pattern_is_walked_or_excluded():
    """The walk fills every pattern of `admin.site.get_urls()` (each model admin's own
    included); the only exceptions are listed, with a reason, and exist."""
    templates = set(admin_routes())
    assert len(templates) > 100, "the walk found too few back-office URL patterns: it is broken"
    listed = {**ADMIN_NOT_WALKED, **ADMIN_ALWAYS_404}
    assert set(listed) <= templates, f"no such pattern any more: {set(listed) - templates}"
    assert all(reason.strip() for reason in listed.values())
    names = {name for t in templates for name in re.findall(r"<(?:\w+:)?(\w+)>", t)}
    fillable = {"object_id", "id", "line_id", "job_id", "app_label", "url", "content_type_id"}
    fillable |= set(PATH_MODELS)
    assert names <= fillable, f"the walk cannot fill these path parameters: {names - fillable}"


def test_the_snapshot_sees_a_changed_column_and_a_new_session(world):
    """What "wrote nothing" compares: not only row counts, but the columns of the money and
    state tables, and the tables of logins and sessions."""
    world_data(world)
    before = db_state()
    Customer.objects.filter(pk=world.alpha.pk).update(payment_terms_days=99)
    assert {table for table, value in db_state().items() if before[table] != value} == {
        "contracts.Customer"
    }
    before = db_state()
    client_for(world.alice, world.acme)  # a login: a new session row
    assert "django_session" in {t for t, value in db_state().items() if before.get(t) != value}


def test_no_host_gives_a_server_error(world):
    tally = Tally()
    for host in ("localhost", "unknown.localhost", "acme.localhost\x00", "x" * 300):
        client = Client(HTTP_HOST=host)
        for path in ("/", "/healthz", "/accounts/login/", "/accounts/password/reset/"):
            tally.urls.add(path)
            visit(client, "get", path, tally, f"anonymous at {host[:40]!r}")
    assert host_of(world.acme)
    summary = report("other hosts", tally)
    assert not tally.failures, summary + "\n" + "\n".join(tally.failures)
