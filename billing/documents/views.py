"""Portal pages of invoices: the list (unpaid / paid / all) and one invoice."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse
from django.utils import timezone

from billing.documents import selectors
from billing.documents.calculations import issued_tax_by_rate
from billing.documents.credit_notes import customer_credit_balance
from billing.documents.links import credit_note_from_token
from billing.documents.models import PAYABLE, CreditNote, Invoice
from billing.documents.pdf import credit_note_pdf, credit_note_xml, invoice_pdf, invoice_xml
from billing.documents.xrechnung import (
    XRechnungUnavailable,
    credit_note_xrechnung_xml,
    invoice_xrechnung_xml,
    xrechnung_filename,
)
from contracts.access import customer_required
from core.licence import LicenceModule, licence_enabled, licence_required
from core.roles import may
from core.signing import LinkInvalid
from subscriptions import selectors as subscription_selectors
from subscriptions import views as subscription_views
from subscriptions.models import Order
from subscriptions.selectors import interval_label
from subscriptions.services import subscription_period_amount


@customer_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "all")
    if show not in selectors.INVOICE_FILTERS:
        show = "all"
    invoices = selectors.invoice_list(tenant=request.tenant, customer=request.customer, show=show)
    return render(
        request,
        "billing/invoices.html",
        {
            "section_key": "invoices",
            "invoices": invoices,
            "show": show,
            "today": timezone.localdate(),
            "credit_notes": _with_outcomes(
                selectors.credit_note_list(tenant=request.tenant, customer=request.customer)
            ),
            "credit_balance": customer_credit_balance(
                request.customer, request.tenant.default_currency
            ),
            "currency": request.tenant.default_currency,
        },
    )


@customer_required
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = get_object_or_404(
        selectors.invoice_list(tenant=request.tenant, customer=request.customer, with_lines=True),
        pk=invoice_id,
    )
    lines = list(invoice.lines.all())
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "section_key": "invoices",
            "invoice": invoice,
            "lines": lines,
            "orders": selectors.invoice_orders(invoice=invoice) if _bills_orders(lines) else [],
            "tax_by_rate": issued_tax_by_rate(lines).items(),
            "overdue": invoice.is_overdue(timezone.localdate()),
            "may_pay": invoice.status in PAYABLE
            and invoice.amount_due > 0
            and may(
                request.user, "invoice.pay", tenant=request.tenant, customer_id=invoice.customer_id
            ),
            # What corrected it (a voided invoice: the note that cancels it), and the money.
            "credit_notes": _with_outcomes(
                selectors.credit_note_list(tenant=request.tenant, customer=request.customer).filter(
                    invoice=invoice
                )
            ),
        },
    )


@customer_required
def invoice_pdf_download(request: HttpRequest, invoice_id: int) -> FileResponse:
    invoice = get_object_or_404(
        selectors.invoice_list(tenant=request.tenant, customer=request.customer, with_lines=True),
        pk=invoice_id,
    )
    return pdf_download(invoice_pdf(invoice))


@licence_required(LicenceModule.EINVOICING)
@customer_required
def invoice_xml_download(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """The invoice's EN 16931 e-invoice (CII XML), the one its PDF carries."""
    invoice = get_object_or_404(
        selectors.invoice_list(tenant=request.tenant, customer=request.customer, with_lines=True),
        pk=invoice_id,
    )
    return xml_download(invoice_xml(invoice), invoice.number)


def xml_download(xml: bytes, number: str, filename: str = "") -> HttpResponse:
    response = HttpResponse(xml, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{filename or number + ".xml"}"'
    return response


@licence_required(LicenceModule.EINVOICING)
@customer_required
def invoice_xrechnung_download(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """The invoice as an XRechnung (CII), for German public buyers and those who ask for it."""
    invoice = get_object_or_404(
        selectors.invoice_list(tenant=request.tenant, customer=request.customer), pk=invoice_id
    )
    return xrechnung_response(request, invoice, invoice_xrechnung_xml)


@licence_required(LicenceModule.EINVOICING)
@customer_required
def credit_note_xrechnung_download(request: HttpRequest, note_id: int) -> HttpResponse:
    note = get_object_or_404(
        selectors.credit_note_list(tenant=request.tenant, customer=request.customer), pk=note_id
    )
    return xrechnung_response(request, note, credit_note_xrechnung_xml)


def xrechnung_response(request: HttpRequest, document: Invoice | CreditNote, build) -> HttpResponse:
    """The XRechnung download, or a page that says what the document lacks for one (409: the
    document exists, but its frozen data cannot make a valid XRechnung)."""
    try:
        xml = build(document)
    except XRechnungUnavailable as unavailable:
        return render(
            request,
            "billing/xrechnung_unavailable.html",
            {"section_key": "invoices", "document": document, "gaps": unavailable.gaps},
            status=409,
        )
    return xml_download(xml, document.number, xrechnung_filename(document.number))


@customer_required
def credit_note_pdf_download(request: HttpRequest, note_id: int) -> FileResponse:
    note = get_object_or_404(
        selectors.credit_note_list(tenant=request.tenant, customer=request.customer), pk=note_id
    )
    return pdf_download(credit_note_pdf(note))


@licence_required(LicenceModule.EINVOICING)
@customer_required
def credit_note_xml_download(request: HttpRequest, note_id: int) -> HttpResponse:
    """The credit note's EN 16931 e-invoice (CII XML, type 381), the one its PDF carries."""
    note = get_object_or_404(
        selectors.credit_note_list(tenant=request.tenant, customer=request.customer), pk=note_id
    )
    return xml_download(credit_note_xml(note), note.number)


def credit_note_by_link_pdf(request: HttpRequest, token: str) -> HttpResponse:
    """A credit note's e-mailed link: its PDF, no login needed."""
    try:
        note = credit_note_from_token(tenant=request.tenant, token=token)
    except LinkInvalid:
        return render(request, "billing/link_invalid.html", status=404)
    return pdf_download(credit_note_pdf(note))


def pdf_download(stored: Invoice | CreditNote) -> FileResponse:
    return FileResponse(
        stored.pdf.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"{stored.number}.pdf",
    )


@customer_required
def recurring_invoices(request: HttpRequest) -> HttpResponse:
    rows = [
        {
            "subscription": s,
            "amount": subscription_period_amount(s),
            "interval": interval_label(s.interval_months),
        }
        for s in selectors.recurring_list(tenant=request.tenant, customer=request.customer)
    ]
    return render(request, "billing/recurring.html", {"section_key": "invoices", "rows": rows})


@customer_required
def credit_overview(request: HttpRequest) -> HttpResponse:
    """Credits: the packages (subscriptions app) and the money credit from credit notes. It
    lives here because billing builds on subscriptions, never the other way round. Without the
    paid-support licence module the page keeps the money credit alone: credit notes are
    invoicing's, not the module's."""
    customer, tenant = request.customer, request.tenant
    context = {
        "section_key": "credits",
        "support": licence_enabled(tenant, LicenceModule.VIP_SUPPORT),
        "credit_notes": _with_outcomes(
            selectors.credit_note_list(tenant=tenant, customer=customer)
        ),
        "credit_movements": selectors.credit_movements(tenant=tenant, customer=customer),
        "credit_balance": customer_credit_balance(customer, tenant.default_currency),
        "currency": tenant.default_currency,
    }
    if context["support"]:
        context |= {
            "account": subscription_selectors.credit_account_view(customer=customer),
            "today": timezone.localdate(),
            "packages": subscription_selectors.package_list(tenant=tenant),
            "department_access": subscription_selectors.department_access_list(
                tenant=tenant, customer=customer
            ),
            "entries": subscription_selectors.credit_ledger(tenant=tenant, customer=customer),
            "may_buy": may(request.user, "package.buy", tenant=tenant, customer_id=customer.pk),
        }
    # A TemplateResponse: payments adds the automatic top-up it offers (package_views).
    return TemplateResponse(request, "subscriptions/credits.html", context)


def _with_outcomes(notes) -> list:
    """The notes, each with what became of its money in words (`money_outcome`)."""
    notes = list(notes)
    for note in notes:
        note.money_outcome = selectors.credit_note_outcome_sentences(note)
    return notes


def _bills_orders(lines) -> bool:
    return any(line.order_id for line in lines)


# Orders and subscriptions are pages of the subscriptions app; their invoices and payment state
# are billing's, a floor up, so billing routes these pages and adds what it knows.


def _timeline(order: Order, payment: selectors.OrderPayment) -> dict:
    stages = list(order.stages.all())
    reached = [s for s in stages if s.reached_at]
    return {
        "order": order,
        "stages": stages,
        "current": reached[-1] if reached else None,
        "delivered": bool(stages) and len(reached) == len(stages),
        "payment": payment,
    }


@customer_required
def order_list(request: HttpRequest) -> HttpResponse:
    orders = list(
        subscription_selectors.order_list(tenant=request.tenant, customer=request.customer)
    )
    payments = selectors.order_payments(orders)
    return render(
        request,
        "subscriptions/orders.html",
        {"section_key": "orders", "orders": [_timeline(o, payments[o.pk]) for o in orders]},
    )


@customer_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_object_or_404(
        subscription_selectors.order_list(tenant=request.tenant, customer=request.customer),
        pk=order_id,
    )
    payment = selectors.order_payments([order])[order.pk]
    return render(
        request,
        "subscriptions/order_detail.html",
        {"section_key": "orders", **_timeline(order, payment)},
    )


def _with_prices(request: HttpRequest, cards: list[dict]) -> None:
    """Each subscription card's price per period, net and gross for this customer."""
    rate = selectors.default_tax_rate(request.tenant)
    for card in cards:
        card["price"] = selectors.customer_price(
            customer=request.customer,
            net=card["amount"],
            currency=card["subscription"].currency,
            rate=rate,
        )


def subscription_list(request: HttpRequest) -> HttpResponse:
    """The subscriptions app's list (it checks the login), each price with VAT."""
    response = subscription_views.subscription_list(request)
    if isinstance(response, TemplateResponse) and response.context_data is not None:
        _with_prices(request, response.context_data["cards"])
    return response


def subscription_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """The subscriptions app's page (it checks the login and 404s outsiders), with the invoices
    the subscription produced and its price with VAT."""
    response = subscription_views.subscription_detail(request, subscription_id)
    if isinstance(response, TemplateResponse) and response.context_data is not None:
        context = response.context_data
        context["invoices"] = selectors.subscription_invoices(subscription=context["subscription"])
        card = {"amount": context["amount"], "subscription": context["subscription"]}
        _with_prices(request, [card])
        context["price"] = card["price"]
    return response
