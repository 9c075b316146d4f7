"""Reads of quotes for the customer portal, always scoped by business and customer."""

from __future__ import annotations

from django.db.models import Case, F, IntegerField, Prefetch, QuerySet, Value, When

from contracts.models import Customer, LegalDocument, LegalDocumentKind
from contracts.selectors import legal_documents_current
from core.models import Tenant
from quotes.models import Quote, QuoteLine, QuoteStatus
from subscriptions.models import Subscription


def quote_list(*, tenant: Tenant, customer: Customer) -> QuerySet[Quote]:
    """The customer's quotes, drafts never: those awaiting approval first, then the rest,
    newest first. The list shows what each became (its invoices), joined here so the page's
    query count does not grow with its rows."""
    return (
        Quote.objects.filter(tenant=tenant, customer=customer)
        .visible_to_customers()
        .select_related("invoice", "deposit_invoice")
        .annotate(
            awaiting=Case(
                When(status=QuoteStatus.SENT, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("awaiting", F("sent_at").desc(nulls_last=True), "-version", "-id")
    )


def quote_detail_queryset(*, tenant: Tenant, customer: Customer) -> QuerySet[Quote]:
    """The customer's quotes, drafts never, with everything a quote's page shows. The page 404s
    for any other (another business's or customer's quote, or a draft): ids reveal nothing."""
    return (
        Quote.objects.filter(tenant=tenant, customer=customer)
        .visible_to_customers()
        .select_related(
            "tenant",
            "customer",
            "invoice",
            "deposit_invoice",
            "approved_by__user",
            "approved_terms",
            "revision_of",
            "revised_by",
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=QuoteLine.objects.select_related("tariff").prefetch_related(
                    "options__option"
                ),
            ),
            Prefetch(
                "subscriptions",
                queryset=Subscription.objects.select_related("tariff__module").order_by(
                    "started_on", "pk"
                ),
            ),
        )
    )


def quote_with_details(quote: Quote) -> Quote:
    """The same quote (found through a signed link) with what its page shows."""
    return quote_detail_queryset(tenant=quote.tenant, customer=quote.customer).get(pk=quote.pk)


def current_terms(quote: Quote) -> LegalDocument | None:
    """The business's terms in force, which approving accepts (None if it published none)."""
    return next(
        (
            d
            for d in legal_documents_current(tenant=quote.tenant)
            if d.kind == LegalDocumentKind.TERMS
        ),
        None,
    )
