"""Changing a subscription in the portal: another tariff, cancelling, and withdrawing either."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts.access import customer_required
from subscriptions import selectors, services
from subscriptions.forms import CancelForm, ChangeTariffForm
from subscriptions.views.common import (
    contact_rights,
    customer_subscription,
    refused,
    subscription_card,
)


@customer_required
def subscription_change(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = customer_subscription(request, subscription_id)
    if not contact_rights(request, subscription)["may_change"]:
        return refused(request, subscription, "change")
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
            **subscription_card(subscription, today),
            "targets": options,
            "target": target,
            "preview": preview,
        },
    )


@customer_required
def subscription_cancel(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = customer_subscription(request, subscription_id)
    if not contact_rights(request, subscription)["may_cancel"]:
        return refused(request, subscription, "cancel")
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
            **subscription_card(subscription, today),
            "form": form,
            "ends_on": ends_on,
            "needs_approval": needs_approval,
        },
    )


@require_POST
@customer_required
def subscription_undo_cancel(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = customer_subscription(request, subscription_id)
    if not contact_rights(request, subscription)["may_cancel"]:
        return refused(request, subscription, "cancel")
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
    subscription = customer_subscription(request, subscription_id)
    if not contact_rights(request, subscription)["may_change"]:
        return refused(request, subscription, "change")
    try:
        services.subscription_undo_change(
            subscription=subscription, actor=request.user, as_contact=True
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The tariff change is withdrawn; your tariff stays as it is."))
    return redirect("subscription_detail", subscription_id=subscription.pk)
