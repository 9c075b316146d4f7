"""The fuzzer: every URL pattern, portal and back office, with every persona; bad values in every
form and in query strings and path ids. No answer may be a 5xx, and an answer that refuses the
input (4xx, or the form shown again with its errors) must have written nothing.

Bounded: each URL is opened once per persona with its real ids and a handful of junk ones, and
each form found is submitted with a fixed list of bad values (deterministic, so a failure is
reproduced by running the test again). The closing summary is printed in the test output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from billing.documents.links import invoice_link_path
from billing.models import PaymentLink, TaxRate
from billing.payments.services import invoice_mark_paid
from contracts.portal_links import portal_link_path
from core.models import StaffMembership, Tenant, User
from core.roles import SYSTEM
from core.tenancy import tenant_cache_clear
from quotes.lifecycle import quote_send
from quotes.requests import ItemIn, quote_request_create
from subscriptions.models import ModuleField
from subscriptions.services import subscription_option_add, subscription_order
from tests.billing.test_payments import save_card
from tests.billing.test_signed_links import issue
from tests.conftest import client_for, host_of
from tests.factories import OptionFactory, TariffFactory
from tests.quotes.helpers import pending_quote

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
        if text.startswith("^"):  # a regex pattern: give its groups a plain placeholder
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
    and decline forms), and a customer's request."""
    draft = pending_quote(world.alpha)
    today = timezone.localdate()
    sent = quote_send(quote=pending_quote(world.alpha, today=today), actor=SYSTEM, today=today)
    quote_request_create(
        customer=world.alpha, actor=world.alice, items=[ItemIn(tariff, 2, [option])], note="Hi"
    )
    return [draft, sent]


# Back-office pages of a row beyond Django's own (change, history, delete).
EXTRA_ADMIN_TAILS = {"contracts.Customer": ("portal-link/",)}


def admin_paths(tenant) -> list[str]:
    """The back office's pages for each registered model, with the id of one of acme's rows."""
    paths = []
    for model, model_admin in admin.site._registry.items():
        base = f"/manage/{model._meta.app_label}/{model._meta.model_name}/"
        paths += [base, base + "add/"]
        rows = model._default_manager.order_by("pk")
        if any(f.name == "tenant" for f in model._meta.fields):
            rows = rows.filter(tenant=tenant)
        row = rows.first()
        if row is not None:
            for tail in (
                "change/",
                "history/",
                "delete/",
                *EXTRA_ADMIN_TAILS.get(model._meta.label, ()),
            ):
                paths.append(f"{base}{row.pk}/{tail}")
        paths += [f"{base}{junk}/change/" for junk in JUNK_IDS]
        paths.append(
            f"/manage/autocomplete/?app_label={model._meta.app_label}"
            f"&model_name={model._meta.model_name}&field_name=customer&term=%00"
        )
        del model_admin
    return paths


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


def table_counts() -> tuple[int, ...]:
    """How many rows every table of ours holds, in one query."""
    tables = [
        m._meta.db_table
        for m in apps.get_models()
        if m._meta.app_label in ("core", "contracts", "subscriptions", "billing", "quotes")
        and not m._meta.proxy
    ]
    # Table names come from our own models, quoted by the database backend.
    quoted = [connection.ops.quote_name(t) for t in tables]
    sql = " UNION ALL ".join(f"SELECT COUNT(*) FROM {name}" for name in quoted)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(row[0] for row in cursor.fetchall())


def refused(response) -> bool:
    """An answer that turned the input down: 4xx, or the form again with its errors."""
    if 400 <= response.status_code < 500:
        return True
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return False
    body = response.content.decode(errors="replace")
    return 'class="errorlist' in body or 'class="errornote' in body


def visit(client: Client, method: str, path: str, tally: Tally, who: str, data=None) -> str:
    tally.requests += 1
    before = table_counts() if method == "post" else None
    try:
        response = getattr(client, method)(path, data=data or {})
    except Exception as exc:  # the test client re-raises what a view raised: that is a 500
        tally.failures.append(f"{who} {method.upper()} {path}: {type(exc).__name__}: {exc}"[:300])
        return ""
    if response.status_code >= 500:
        tally.failures.append(f"{who} {method.upper()} {path}: {response.status_code}")
    elif before is not None and refused(response) and table_counts() != before:
        tally.failures.append(f"{who} POST {path}: refused ({response.status_code}) but wrote rows")
    if response.status_code == 200 and method == "get":
        tally.ok.add(path)
    if response.status_code == 200 and "html" in response.get("Content-Type", ""):
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
        f"{name}: {summary}\n" + "".join(f"  {line}\n" for line in tally.failures[:200])
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
    paths = portal_paths(ids) if area == "portal" else admin_paths(world.acme)
    tally = Tally()
    for path in paths:
        if SKIP.match(path):
            continue
        client = client_for(user, world.acme)
        tally.urls.add(path)
        html = visit(client, "get", path, tally, who)
        if html and submits:
            fuzz_forms(client, path, html, tally, who)
            keep_access(world, user)
        if submits and is_list_page(path):
            for query in JUNK_QUERIES:  # junk in the query string of every page without an id
                visit(client, "get", path + query, tally, who)
    summary = report(who, tally)
    assert not tally.failures, f"{who}: {summary}\n" + "\n".join(tally.failures[:80])
    # Not a walk past closed doors: each persona reached its pages and the forms it may use.
    assert len(tally.ok) >= MIN_PAGES[area], f"{who} opened only {len(tally.ok)} pages"
    assert len(tally.forms) >= MIN_FORMS.get(who, 0), f"{who} found only {len(tally.forms)} forms"


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
