"""What a quote's page shows and how its answers end, shared by the portal (quotes.views.portal)
and the e-mailed link's pages (quotes.link_views)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from billing.documents.calculations import issued_tax_by_rate, totals
from billing.documents.models import PAYABLE, Invoice
from core.middleware import client_ip
from quotes.approval import CLOSED_BECAUSE, Approval, quote_decline
from quotes.forms import QuoteApproveForm, QuoteDeclineForm
from quotes.models import Quote, QuoteStatus
from quotes.pdf import quote_current_pdf
from quotes.selectors import current_terms
from subscriptions.selectors import interval_label


def is_open(quote: Quote) -> bool:
    """Awaiting an answer and still valid (the hourly expiry may not have run yet today)."""
    return quote.status == QuoteStatus.SENT and not quote.is_past_validity(timezone.localdate())


def closed_message(quote: Quote) -> str:
    if quote.status == QuoteStatus.SENT and not is_open(quote):
        return str(CLOSED_BECAUSE[QuoteStatus.EXPIRED])
    return str(CLOSED_BECAUSE.get(quote.status, ""))


def newer_version(quote: Quote) -> Quote | None:
    """The revision that replaced this quote, once it was sent (a draft is not shown)."""
    try:
        newer = quote.revised_by
    except Quote.DoesNotExist:
        return None
    return newer if newer.status != QuoteStatus.DRAFT else None


def became(quote: Quote, invoice_url) -> list[dict]:
    """What the approved quote turned into: the deposit invoice and/or the invoice."""
    rows = []
    for label, invoice in (
        (_("Deposit invoice"), quote.deposit_invoice),
        (_("Invoice"), quote.invoice),
    ):
        if invoice is not None:
            rows.append({"label": label, "invoice": invoice, "url": invoice_url(invoice)})
    return rows


def quote_context(quote: Quote) -> dict:
    lines = list(quote.lines.all())
    one_off = [li for li in lines if not li.is_recurring]
    recurring = [li for li in lines if li.is_recurring]
    for line in recurring:
        line.interval = interval_label(line.tariff.interval_months)
    return {
        "quote": quote,
        "one_off": one_off,
        "recurring": recurring,
        "tax_by_rate": issued_tax_by_rate(one_off).items(),
        "recurring_totals": totals(recurring, currency=quote.currency),
        "is_open": is_open(quote),
        "closed_message": closed_message(quote),
        "newer": newer_version(quote),
        "subscriptions": list(quote.subscriptions.all()),
    }


def approve_form(quote: Quote, *, via_link: bool, data=None) -> QuoteApproveForm:
    return QuoteApproveForm(
        data,
        terms=current_terms(quote),
        # Through a link nobody is logged in: the typed name is what identifies the approver.
        signature_required=via_link or quote.tenant.quote_signature_required,
    )


def approval_of(request: HttpRequest, form: QuoteApproveForm) -> Approval:
    return Approval(
        accepted_terms=form.cleaned_data["accept_terms"],
        terms_id=form.cleaned_data["terms_id"],
        name=form.cleaned_data.get("name", ""),
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:400],
    )


def terms_changed(form: QuoteApproveForm, error: ValidationError | None = None) -> bool:
    if error is not None:
        return getattr(error, "code", None) == "terms_changed"
    return form.has_error("terms_id")


def to_pay(quote: Quote) -> Invoice | None:
    """The invoice the approval asks to pay now (the deposit first), if anything is due."""
    invoice = quote.deposit_invoice or quote.invoice
    if invoice is not None and invoice.status in PAYABLE and invoice.amount_due > 0:
        return invoice
    return None


def approved_message(request: HttpRequest, quote: Quote) -> None:
    subscriptions = list(quote.subscriptions.select_related("tariff__module"))
    if quote.deposit_invoice_id or quote.invoice_id or not subscriptions:
        messages.success(request, _("Thank you: quote %(quote)s is approved.") % {"quote": quote})
        return
    starts = ", ".join(
        _("%(subscription)s from %(date)s")
        % {
            "subscription": s.tariff.module.localized_name,
            "date": formats.date_format(s.started_on, "DATE_FORMAT"),
        }
        for s in subscriptions
    )
    messages.success(
        request,
        _("Thank you: quote %(quote)s is approved. Your subscriptions start: %(starts)s.")
        % {"quote": quote, "starts": starts},
    )


def pdf_response(quote: Quote) -> FileResponse:
    quote, field = quote_current_pdf(quote)
    return FileResponse(
        getattr(quote, field).open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"{quote}.pdf".replace(" ", "-"),
    )


def closed_meanwhile(request: HttpRequest, quote: Quote, error: ValidationError) -> bool:
    """Declined, withdrawn or expired in another tab meanwhile: the page says so (its approve
    form is gone), so the refusal goes in a message above it."""
    quote.refresh_from_db(fields=["status"])
    if is_open(quote):
        return False
    messages.error(request, " ".join(error.messages))
    return True


def terms_changed_page(request: HttpRequest, back: str) -> HttpResponse:
    """The business published new terms while the page was open: show them (and a fresh
    form carrying their version) before anything is approved."""
    messages.warning(
        request, _("The terms were updated while you were reading. Please read them again.")
    )
    return redirect(back)


def decline_page(
    request: HttpRequest, quote: Quote, *, actor, back: str, base: str
) -> HttpResponse:
    if not is_open(quote):
        messages.error(request, closed_message(quote))
        return redirect(back)
    form = QuoteDeclineForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            quote_decline(
                quote=quote,
                actor=actor,
                reason=form.cleaned_data["reason"],
                today=timezone.localdate(),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.info(request, _("You declined quote %(quote)s.") % {"quote": quote})
        return redirect(back)
    return render(
        request,
        "quotes/decline.html",
        {
            "section_key": "quotes",
            "quote": quote,
            "form": form,
            "back": back,
            "base_template": base,
        },
        status=400 if form.errors else 200,
    )
