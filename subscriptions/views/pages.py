"""Portal pages of subscriptions: the list, one subscription, its module's details, and the
module's image."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from contracts.access import customer_required
from subscriptions import selectors, services
from subscriptions.discounts import discount_summary
from subscriptions.models import Subscription
from subscriptions.module_data import module_fields, module_values, subscription_module_data_save
from subscriptions.module_data_forms import module_data_form
from subscriptions.views.common import contact_rights, customer_subscription, subscription_card


def subscription_list(request: HttpRequest) -> HttpResponse:
    """The page's body, a TemplateResponse: billing.documents.views.subscription_pages routes
    the page, behind customer_required and the page cache, and adds each card's price."""
    today = timezone.localdate()
    cards = [
        subscription_card(s, today)
        for s in selectors.subscription_list(tenant=request.tenant, customer=request.customer)
    ]
    # Rendered late, like the detail page: billing adds each card's price with VAT.
    return TemplateResponse(
        request, "subscriptions/list.html", {"section_key": "subscriptions", "cards": cards}
    )


def subscription_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """The page's body, a TemplateResponse rendered late: billing, a floor up, adds the
    invoices this subscription produced (billing.documents.views.subscription_pages routes
    the page, behind customer_required and the page cache)."""
    subscription = customer_subscription(request, subscription_id)
    today = timezone.localdate()
    return TemplateResponse(
        request,
        "subscriptions/detail.html",
        {
            "section_key": "subscriptions",
            **subscription_card(subscription, today),
            **contact_rights(request, subscription),
            "has_targets": services.tariff_change_targets(subscription).exists(),
            "pending_request": services.subscription_cancellation_pending(subscription),
            "refused_request": selectors.cancellation_request_refused(subscription),
            "discount": discount_summary(subscription),
            **_module_data(request, subscription),
        },
    )


def _module_data(request: HttpRequest, subscription: Subscription) -> dict:
    values = module_values(
        subscription=subscription,
        fields=module_fields(module=subscription.tariff.module),
        actor=request.user,
    )
    return {
        "module_values": values,
        "may_edit_module_data": subscription.status != "ended" and any(v.editable for v in values),
    }


@customer_required
def subscription_module_data(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """Edit the module's own fields; those the contact may not edit are shown as text."""
    subscription = customer_subscription(request, subscription_id)
    fields = module_fields(module=subscription.tariff.module)
    if not fields:
        raise Http404
    form = module_data_form(
        fields=fields,
        actor=request.user,
        tenant=request.tenant,
        customer_id=request.customer.pk,
        values=subscription.module_data,
        data=request.POST if request.method == "POST" else None,
    )
    if request.method == "POST" and not form.definitions:
        raise PermissionDenied  # nothing here this contact may edit
    # A posted change to a field this contact may not edit is refused by the service
    # (PermissionDenied, a 403), whatever the form shows.
    if request.method == "POST" and form.is_valid():
        try:
            subscription_module_data_save(
                subscription=subscription, values=form.values(), actor=request.user
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The details are saved."))
            return redirect("subscription_detail", subscription_id=subscription.pk)
    values = module_values(subscription=subscription, fields=fields, actor=request.user)
    return render(
        request,
        "subscriptions/module_data.html",
        {
            "section_key": "subscriptions",
            "subscription": subscription,
            "form": form,
            "readonly_values": [v for v in values if not v.editable],
        },
    )


@require_safe
@cache_control(private=True, max_age=3600)
@customer_required(legal_exempt=True)
def module_image(request: HttpRequest, module_id: int) -> FileResponse:
    module = get_object_or_404(selectors.module_list(tenant=request.tenant), pk=module_id)
    if not module.image:
        raise Http404
    try:
        handle = module.image.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, content_type=mimetypes.guess_type(module.image.name)[0])
