"""Portal pages of the statement of account."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation

from billing.collections.forms import StatementForm, default_period
from billing.collections.statements import statement
from billing.documents.pdf import render_statement_pdf
from contracts.access import customer_required


def _statement_form(request: HttpRequest) -> StatementForm:
    data = (
        request.GET
        if "start" in request.GET
        else {k: v.isoformat() for k, v in default_period(timezone.localdate()).items()}
    )
    return StatementForm(data)


@customer_required
def statement_page(request: HttpRequest) -> HttpResponse:
    form = _statement_form(request)
    result = None
    if form.is_valid():
        result = statement(
            customer=request.customer,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
        )
    statement_html = ""
    if result is not None:
        # The statement itself is the customer's document: in its language, whatever the
        # viewer's browser asks for (the portal around it stays in the viewer's language).
        with translation.override(result.language):
            statement_html = render_to_string(
                "billing/_statement_document.html", {"statement": result}, request=request
            )
    return render(
        request,
        "billing/statement.html",
        {
            "section_key": "invoices",
            "form": form,
            "statement": result,
            "statement_html": statement_html,
            "query": request.GET.urlencode()
            or (form.data and f"start={form.data['start']}&end={form.data['end']}"),
        },
    )


@customer_required
def statement_pdf(request: HttpRequest) -> HttpResponse:
    form = _statement_form(request)
    if not form.is_valid():
        return render(
            request,
            "billing/statement.html",
            {"section_key": "invoices", "form": form, "statement": None},
            status=400,
        )
    result = statement(
        customer=request.customer, start=form.cleaned_data["start"], end=form.cleaned_data["end"]
    )
    content = render_statement_pdf(result)
    response = HttpResponse(content, content_type="application/pdf")
    name = f"statement-{result.start}-{result.end}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
