"""Portal pages of subscriptions: list, detail, change tariff, cancel, undo."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST, require_safe

from contracts.access import customer_required
from core.roles import may
from subscriptions import selectors, services
from subscriptions.discounts import discount_summary
from subscriptions.forms import CancelForm, ChangeTariffForm
from subscriptions.models import Subscription
from subscriptions.module_data import module_fields, module_values, subscription_module_data_save
from subscriptions.module_data_forms import module_data_form


def _subscription(request: HttpRequest, subscription_id: int) -> Subscription:
    return get_object_or_404(
        selectors.subscription_list(tenant=request.tenant, customer=request.customer),
        pk=subscription_id,
    )


def _rights(request: HttpRequest, subscription: Subscription) -> dict[str, bool]:
    """What this contact may do here: their role allows it and the plan offers it."""
    customer_id = request.customer.pk
    tariff = subscription.tariff
    return {
        "may_change": tariff.portal_may_change
        and may(
            request.user, "subscription.change", tenant=request.tenant, customer_id=customer_id
        ),
        "may_cancel": tariff.portal_may_cancel
        and may(
            request.user, "subscription.cancel", tenant=request.tenant, customer_id=customer_id
        ),
    }


def _refused(request: HttpRequest, subscription: Subscription, right: str) -> HttpResponse:
    """403 in the visitor's language, saying whether the plan or the role stands in the way."""
    reason = (
        _("Your plan does not allow this in the customer portal.")
        if not getattr(subscription.tariff, f"portal_may_{right}")
        else None
    )
    return render(request, "403.html", {"reason": reason}, status=403)


def _card(subscription: Subscription, today) -> dict:
    """What the list and the detail page show of a subscription."""
    return {
        "subscription": subscription,
        "amount": services.subscription_period_amount(subscription),
        "interval": selectors.interval_label(subscription.interval_months),
        "renews_on": (
            subscription.current_period(today).end if subscription.is_changeable else None
        ),
    }


@customer_required
def subscription_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    cards = [
        _card(s, today)
        for s in selectors.subscription_list(tenant=request.tenant, customer=request.customer)
    ]
    # Rendered late, like the detail page: billing adds each card's price with VAT.
    return TemplateResponse(
        request, "subscriptions/list.html", {"section_key": "subscriptions", "cards": cards}
    )


@customer_required
def subscription_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """A TemplateResponse, rendered late: billing, a floor up, adds the invoices this
    subscription produced (billing.documents.views.subscription_detail routes the page)."""
    subscription = _subscription(request, subscription_id)
    today = timezone.localdate()
    return TemplateResponse(
        request,
        "subscriptions/detail.html",
        {
            "section_key": "subscriptions",
            **_card(subscription, today),
            **_rights(request, subscription),
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
    subscription = _subscription(request, subscription_id)
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


@customer_required
def subscription_change(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    if not _rights(request, subscription)["may_change"]:
        return _refused(request, subscription, "change")
    if not subscription.is_changeable:
        messages.error(request, _("This subscription's tariff cannot be changed any more."))
        return redirect("subscription_detail", subscription_id=subscription.pk)
    today = timezone.localdate()
    targets = list(services.tariff_change_targets(subscription))
    chosen = request.POST.get("tariff") or request.GET.get("tariff")
    target = next((t for t in targets if str(t.pk) == chosen), None)
    if chosen and target is None:
        raise Http404
    preview = (
        services.tariff_change_preview(subscription=subscription, target=target, today=today)
        if target
        else None
    )
    if request.method == "POST":
        form = ChangeTariffForm(request.POST)
        if target is not None and form.is_valid():
            try:
                done = services.subscription_change_tariff(
                    subscription=subscription,
                    target=target,
                    actor=request.user,
                    today=today,
                    as_contact=True,
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                if done.immediate:
                    messages.success(
                        request, _("Your tariff is now %(tariff)s.") % {"tariff": target.name}
                    )
                else:
                    messages.success(
                        request,
                        _("Your tariff changes to %(tariff)s on %(date)s.")
                        % {"tariff": target.name, "date": date_format(done.effective_on)},
                    )
                return redirect("subscription_detail", subscription_id=subscription.pk)
    options = [
        {
            "tariff": t,
            "amount": services.tariff_period_amount(subscription, t),
            "interval": selectors.interval_label(t.interval_months),
        }
        for t in targets
    ]
    return render(
        request,
        "subscriptions/change.html",
        {
            "section_key": "subscriptions",
            **_card(subscription, today),
            "targets": options,
            "target": target,
            "preview": preview,
        },
    )


@customer_required
def subscription_cancel(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    if not _rights(request, subscription)["may_cancel"]:
        return _refused(request, subscription, "cancel")
    if not subscription.is_changeable:
        messages.info(request, _("This subscription is already cancelled."))
        return redirect("subscription_detail", subscription_id=subscription.pk)
    if services.subscription_cancellation_pending(subscription) is not None:
        messages.info(request, _("Your cancellation request is already waiting for approval."))
        return redirect("subscription_detail", subscription_id=subscription.pk)
    today = timezone.localdate()
    ends_on = services.cancellation_earliest_end(subscription, today)
    needs_approval = subscription.tariff.cancellation_needs_approval
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_cancel(
                subscription=subscription,
                actor=request.user,
                today=today,
                reason=form.cleaned_data["reason"],
                as_contact=True,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if needs_approval:
                messages.success(
                    request,
                    _(
                        "Your cancellation request is sent. We will confirm it by e-mail once "
                        "it is approved."
                    ),
                )
            else:
                messages.success(
                    request,
                    _("Your subscription is cancelled. It runs until %(date)s.")
                    % {"date": date_format(ends_on)},
                )
            return redirect("subscription_detail", subscription_id=subscription.pk)
    return render(
        request,
        "subscriptions/cancel.html",
        {
            "section_key": "subscriptions",
            **_card(subscription, today),
            "form": form,
            "ends_on": ends_on,
            "needs_approval": needs_approval,
        },
    )


@require_POST
@customer_required
def subscription_undo_cancel(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    if not _rights(request, subscription)["may_cancel"]:
        return _refused(request, subscription, "cancel")
    try:
        if services.subscription_cancellation_pending(subscription) is not None:
            services.cancellation_request_withdraw(
                subscription=subscription, actor=request.user, as_contact=True
            )
        else:
            services.subscription_undo_cancel(
                subscription=subscription,
                actor=request.user,
                today=timezone.localdate(),
                as_contact=True,
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The cancellation is withdrawn; your subscription continues."))
    return redirect("subscription_detail", subscription_id=subscription.pk)


@require_POST
@customer_required
def subscription_undo_change(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    if not _rights(request, subscription)["may_change"]:
        return _refused(request, subscription, "change")
    try:
        services.subscription_undo_change(
            subscription=subscription, actor=request.user, as_contact=True
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The tariff change is withdrawn; your tariff stays as it is."))
    return redirect("subscription_detail", subscription_id=subscription.pk)


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
