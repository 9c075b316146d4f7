"""The buttons on a quote's back-office page: send, duplicate, withdraw, revise, mark expired,
invoice the balance, each behind a confirmation page; the PDF; a recurring line's add-on
options. Each is offered only when the quote's status allows it (QUOTE_TRANSITIONS) and the
staff member's role does ("quotes.manage"); the services decide, and their refusals come back
as messages on the quote's page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from billing.models import Invoice
from core.forms import value_fits
from core.models import User
from quotes.admin.forms import DuplicateForm, LineOptionFormSet, WithdrawForm
from quotes.approval import quote_invoice_balance
from quotes.lifecycle import quote_duplicate, quote_expire, quote_revise, quote_send, quote_withdraw
from quotes.models import QUOTE_TRANSITIONS, LineKind, Quote, QuoteLine, QuoteStatus
from quotes.pdf import quote_current_pdf
from quotes.services import OptionIn, quote_line_options_save
from subscriptions.periods import local_today


def business_today(quote: Quote) -> date:
    """Quotes are dated by the business's calendar day, not the server's."""
    return local_today(timezone.now(), quote.tenant.timezone)


def refusal(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, PermissionDenied):
        return str(_("Your role does not allow this."))
    return " ".join(exc.messages)


def can_move(quote: Quote, status: str) -> bool:
    return status in QUOTE_TRANSITIONS[quote.status]


@dataclass(frozen=True)
class QuoteAction:
    """One button: when it is offered, what its page says and asks, what it does. `run`
    returns the quote or invoice to show next."""

    name: str
    label: Promise
    explanation: Promise
    allowed: Callable[[Quote], bool]
    run: Callable[[Quote, User, date, dict], Quote | Invoice]
    done: Promise  # the message once done; %(quote)s and %(result)s
    form: type[forms.Form] | None = None


ACTIONS: dict[str, QuoteAction] = {
    action.name: action
    for action in [
        QuoteAction(
            name="send",
            label=_("Send"),
            explanation=_(
                "The quote gets its number, its seller, buyer and amounts are frozen, and it is "
                "e-mailed to the customer's invoice recipients with its PDF. After that it "
                "can only be revised, withdrawn or left to expire."
            ),
            allowed=lambda q: can_move(q, QuoteStatus.SENT),
            run=lambda q, actor, today, _data: quote_send(quote=q, actor=actor, today=today),
            done=_("Quote %(result)s was sent to the customer."),
        ),
        QuoteAction(
            name="duplicate",
            label=_("Duplicate"),
            explanation=_(
                "A new draft with the same lines and texts, for this customer or another one; "
                "it gets its own number when it is sent."
            ),
            allowed=lambda q: True,
            run=lambda q, actor, today, data: quote_duplicate(
                quote=q, actor=actor, today=today, customer=data["customer"]
            ),
            done=_("%(result)s was made from quote %(quote)s."),
            form=DuplicateForm,
        ),
        QuoteAction(
            name="withdraw",
            label=pgettext_lazy("quote", "Withdraw"),
            explanation=_("The customer can no longer approve this quote."),
            allowed=lambda q: can_move(q, QuoteStatus.WITHDRAWN),
            run=lambda q, actor, _today, data: quote_withdraw(
                quote=q, actor=actor, reason=data["reason"]
            ),
            done=_("Quote %(quote)s is withdrawn."),
            form=WithdrawForm,
        ),
        QuoteAction(
            name="revise",
            label=_("Revise"),
            explanation=_(
                "A new version of this quote is drafted under the same number, with its "
                "lines. This version is replaced at once: the customer can no longer approve "
                "it, and sees the new version once it is sent."
            ),
            allowed=lambda q: can_move(q, QuoteStatus.SUPERSEDED),
            run=lambda q, actor, today, _data: quote_revise(quote=q, actor=actor, today=today),
            done=_("%(result)s is the new version of quote %(quote)s: edit it, then send it."),
        ),
        QuoteAction(
            name="expire",
            label=_("Mark expired"),
            explanation=_(
                "The customer can no longer approve this quote. It can still be revised into a "
                "new, valid version."
            ),
            allowed=lambda q: can_move(q, QuoteStatus.EXPIRED),
            run=lambda q, actor, _today, _data: quote_expire(quote=q, actor=actor),
            done=_("Quote %(quote)s is marked expired."),
        ),
        QuoteAction(
            name="invoice_balance",
            label=_("Invoice the balance"),
            explanation=_(
                "The one-off lines are invoiced now, less the deposit already invoiced "
                "(one line per VAT rate). The invoice is finalized and e-mailed."
            ),
            allowed=lambda q: (
                q.status == QuoteStatus.CONVERTED
                and q.deposit_invoice_id is not None
                and q.invoice_id is None
            ),
            run=lambda q, actor, today, _data: quote_invoice_balance(
                quote=q, actor=actor, today=today
            ),
            done=_("Invoice %(result)s was issued for the balance of quote %(quote)s."),
        ),
    ]
}


class QuoteActions:
    """Mixed into the quote back office (a TenantScopedAdmin)."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            *[
                path(
                    f"<int:object_id>/{name}/",
                    view(self.action_view),
                    {"action": name},
                    name=f"quotes_quote_{name}",
                )
                for name in ACTIONS
            ],
            path("<int:object_id>/pdf/", view(self.pdf_view), name="quotes_quote_pdf"),
            path(
                "<int:object_id>/lines/<int:line_id>/options/",
                view(self.line_options_view),
                name="quotes_quote_line_options",
            ),
            *super().get_urls(),
        ]

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return self._may(request, "quotes.manage")

    def buttons(self, request: HttpRequest, quote: Quote) -> list[dict]:
        """The buttons this staff member may press on this quote, as it stands."""
        shown = []
        if quote.status != QuoteStatus.DRAFT:
            shown.append(
                {"label": _("PDF"), "url": reverse("admin:quotes_quote_pdf", args=[quote.pk])}
            )
        if self.has_manage_permission(request):
            shown += [
                {
                    "label": action.label,
                    "url": reverse(f"admin:quotes_quote_{action.name}", args=[quote.pk]),
                }
                for action in ACTIONS.values()
                if action.allowed(quote)
            ]
        return shown

    def action_view(self, request: HttpRequest, object_id: int, action: str) -> HttpResponse:
        quote = self.get_object(request, str(object_id))
        if not self.has_manage_permission(request):
            raise PermissionDenied
        act = ACTIONS[action]
        page = reverse("admin:quotes_quote_change", args=[quote.pk])
        if not act.allowed(quote):
            messages.error(
                request,
                _("This quote cannot be changed that way any more (%(status)s).")
                % {"status": quote.get_status_display()},
            )
            return redirect(page)
        form = None
        if act.form is DuplicateForm:
            form = DuplicateForm(request.POST or None, quote=quote)
        elif act.form is not None:
            form = act.form(request.POST or None)
        if request.method == "POST" and (form is None or form.is_valid()):
            data = form.cleaned_data if form is not None else {}
            try:
                result = act.run(quote, request.user, business_today(quote), data)
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, refusal(exc))
                return redirect(page)
            messages.success(request, act.done % {"quote": quote, "result": result})
            if isinstance(result, Quote):
                return redirect("admin:quotes_quote_change", result.pk)
            return redirect(page)
        return TemplateResponse(
            request,
            "admin/quotes/quote/action.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": quote,
                "quote": quote,
                "title": act.label,
                "explanation": act.explanation,
                "form": form,
                "submit": act.label,
                "back": page,
            },
        )

    def pdf_view(self, request: HttpRequest, object_id: int) -> FileResponse:
        """The PDF as the customer has it: as sent, or the approved copy once approved."""
        quote = self.get_object(request, str(object_id))
        if quote.status == QuoteStatus.DRAFT:
            raise Http404  # a draft has no PDF: it is made, and kept, when the quote is sent
        stored, field = quote_current_pdf(quote)
        return FileResponse(
            getattr(stored, field).open("rb"),
            content_type="application/pdf",
            as_attachment=True,
            filename=f"{stored}.pdf".replace(" ", "-"),
        )

    def line_options_view(self, request: HttpRequest, object_id: int, line_id: int):
        """The add-on options offered with one recurring line of a draft."""
        quote = self.get_object(request, str(object_id))
        if not value_fits(QuoteLine._meta.pk, str(line_id)):
            raise Http404
        line = (
            quote.lines.filter(pk=line_id, kind=LineKind.RECURRING)
            .select_related("tariff__module")
            .first()
        )
        if line is None:
            raise Http404
        page = reverse("admin:quotes_quote_change", args=[quote.pk])
        editable = quote.status == QuoteStatus.DRAFT and self.has_manage_permission(request)
        if request.method == "POST" and not editable:
            raise PermissionDenied
        booked = list(line.options.select_related("option").order_by("id"))
        formset = LineOptionFormSet(
            request.POST or None,
            initial=[
                {"option": o.option_id, "quantity": o.quantity, "unit_price": o.unit_price}
                for o in booked
            ],
            form_kwargs={"offered": line.tariff.options.order_by("name")},
            prefix="options",
        )
        if request.method == "POST" and formset.is_valid():
            chosen = [
                OptionIn(
                    f.cleaned_data["option"],
                    f.cleaned_data["quantity"],
                    f.cleaned_data.get("unit_price"),
                )
                for f in formset.forms
                if f.cleaned_data.get("option") and not f.cleaned_data.get("DELETE")
            ]
            try:
                quote_line_options_save(line=line, options=chosen, actor=request.user)
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, refusal(exc))
                return redirect(page)
            messages.success(
                request, _("The add-on options of %(line)s are saved.") % {"line": line}
            )
            return redirect(page)
        return TemplateResponse(
            request,
            "admin/quotes/quote/line_options.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": quote,
                "quote": quote,
                "line": line,
                "booked": booked,
                "formset": formset,
                "editable": editable,
                "title": _("Add-on options of %(line)s") % {"line": line},
                "back": page,
            },
        )
