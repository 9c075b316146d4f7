"""Portal pages of the contract: its data, what the customer may edit, the legal documents."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import rotate_token
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts import selectors, services
from contracts.access import customer_required
from contracts.acting import acting_end
from contracts.forms import ContractEditForm, LegalAcceptForm
from core.redirects import safe_next
from core.roles import may


@customer_required
def contract_edit(request: HttpRequest) -> HttpResponse:
    if not may_edit_contract(request):
        raise PermissionDenied
    form = ContractEditForm(
        request.POST if request.method == "POST" else None, instance=request.customer
    )
    if request.method == "POST" and form.is_valid():
        changes = {field: form.cleaned_data[field] for field in form.changed_data}
        if changes:
            services.customer_update(
                customer=request.customer, actor=request.user, changes=changes, as_contact=True
            )

        messages.success(request, _("Your contract data has been saved."))
        return redirect("contract")
    return render(
        request, "contracts/contract_edit.html", {"section_key": "contract", "form": form}
    )


@customer_required(legal_exempt=True, acting_refuses="terms")
def legal_accept(request: HttpRequest) -> HttpResponse:
    pending = selectors.legal_documents_pending(tenant=request.tenant, customer=request.customer)
    next_url = safe_next(request, "/")
    if not pending:
        return HttpResponseRedirect(next_url)
    form = LegalAcceptForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.legal_accept(contact=request.contact, documents=pending, actor=request.user)
        return HttpResponseRedirect(next_url)
    return render(
        request,
        "contracts/legal_accept.html",
        {"documents": pending, "form": form, "next": next_url},
    )


@customer_required(legal_exempt=True)
def legal_document(request: HttpRequest, document_id: int) -> HttpResponse:
    """One version of the business's terms or privacy policy (another business's: 404)."""
    document = get_object_or_404(
        selectors.legal_document_list(tenant=request.tenant), pk=document_id
    )
    return render(request, "contracts/legal_document.html", {"document": document})


def may_edit_contract(request: HttpRequest) -> bool:
    return may(
        request.user, "contract.edit", tenant=request.tenant, customer_id=request.customer.pk
    )


@require_POST
@login_required
def acting_end_view(request: HttpRequest) -> HttpResponse:
    """End acting as a customer (the banner's button): back to the customer in the back office."""
    state = getattr(request, "acting_as", None)
    if state is None:
        return redirect("admin:index")
    acting_end(
        session=request.session,
        actor=request.user,
        tenant=request.tenant,
        state=state,
        reason="ended",
    )
    rotate_token(request)  # a portal form opened while acting no longer posts
    messages.success(
        request, _("You no longer act as %(customer)s.") % {"customer": state.customer_label}
    )
    return HttpResponseRedirect(state.admin_url)
