"""Discount codes: finding one a buyer typed, redeeming it onto a subscription (and giving the
use back when an unpaid checkout expires), and the amount it takes off a period's net.

What a subscription got is copied onto it (`Subscription.discount_*`, see DiscountCode); the
billing run (billing.run.services) adds one discount line per invoice while it runs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.audit import audit_record
from core.models import Tenant, User
from core.money import minor_unit_exponent, round_money
from core.roles import SystemActor
from subscriptions.models import DiscountCode, DiscountKind, Subscription, Tariff

HUNDRED = Decimal(100)

# The discount fields a redemption or a release writes on the subscription.
DISCOUNT_FIELDS = [
    "discount_code",
    "discount_kind",
    "discount_value",
    "discount_periods_left",
    "discount_redeemed_at",
]


def normalize_code(code: str) -> str:
    """Codes are stored upper-case; buyers type them in any case, with stray spaces."""
    return code.strip().upper()


def _check(discount: DiscountCode, *, tariff: Tariff, today: date) -> None:
    """Every rule a code must pass to be used on `tariff` today (raises ValidationError)."""
    if not discount.is_active:
        raise ValidationError(
            _("The discount code %(code)s is no longer valid."),
            code="discount_inactive",
            params={"code": discount.code},
        )
    if discount.expires_on is not None and discount.expires_on < today:
        raise ValidationError(
            _("The discount code %(code)s expired on %(date)s."),
            code="discount_expired",
            params={"code": discount.code, "date": date_format(discount.expires_on)},
        )
    if discount.max_uses is not None and discount.uses >= discount.max_uses:
        raise ValidationError(
            _("The discount code %(code)s has been used up."),
            code="discount_used_up",
            params={"code": discount.code},
        )
    # One query: the tariffs it is limited to (none: every tariff).
    limited_to = set(discount.tariffs.values_list("pk", flat=True))
    if limited_to and tariff.pk not in limited_to:
        raise ValidationError(
            _("The discount code %(code)s is not valid for the tariff %(tariff)s."),
            code="discount_tariff",
            params={"code": discount.code, "tariff": tariff.name},
        )
    if discount.kind == DiscountKind.FIXED and discount.currency.upper() != tariff.currency.upper():
        raise ValidationError(
            _(
                "The discount code %(code)s is an amount in %(currency)s; this tariff is "
                "billed in %(tariff_currency)s."
            ),
            code="discount_currency",
            params={
                "code": discount.code,
                "currency": discount.currency,
                "tariff_currency": tariff.currency,
            },
        )


def _unknown(code: str) -> ValidationError:
    return ValidationError(
        _("There is no discount code %(code)s."),
        code="discount_unknown",
        params={"code": normalize_code(code)},
    )


def discount_code_find(*, tenant: Tenant, code: str, tariff: Tariff, today: date) -> DiscountCode:
    """The business's code the buyer typed, if it may be used on `tariff` today. Read-only:
    `discount_code_redeem` checks again under the code's row lock."""
    found = DiscountCode.objects.filter(tenant=tenant, code=normalize_code(code)).first()
    if found is None:
        raise _unknown(code)
    _check(found, tariff=tariff, today=today)
    return found


def discount_apply(subscription: Subscription, code: DiscountCode) -> None:
    """Copy what the code gives onto the subscription, without saving (no query: the checkout
    calls it on an unsaved subscription to preview the first invoice)."""
    subscription.discount_code = code
    subscription.discount_kind = code.kind
    subscription.discount_value = code.value
    subscription.discount_periods_left = code.periods


def discount_runs(subscription: Subscription) -> bool:
    """Does the subscription's next invoice get a discount line? (No query.)"""
    return (
        bool(subscription.discount_kind)
        and subscription.discount_value is not None
        and (subscription.discount_periods_left is None or subscription.discount_periods_left > 0)
    )


def discount_amount(kind: str, value: Decimal, net: Decimal, currency: str) -> Decimal:
    """What the discount takes off `net` (positive, rounded to the currency): never more than
    the net, so an invoice never goes below zero."""
    if net <= 0:
        return round_money(0, currency)
    if kind == DiscountKind.PERCENT:
        amount = round_money(net * Decimal(value) / HUNDRED, currency)
    else:
        amount = round_money(value, currency)
    return min(amount, net)


def _plain_number(value: Decimal) -> str:
    """10.0000 → "10", 12.5000 → "12.5", in the active language's number format."""
    value = Decimal(value)
    places = max(0, -value.normalize().as_tuple().exponent)
    return number_format(value, decimal_pos=places)


def discount_description(*, code: str, kind: str, value: Decimal, currency: str) -> str:
    """The discount line's text, in the active language (the caller overrides it)."""
    if kind == DiscountKind.PERCENT:
        return gettext("Discount %(code)s (−%(percent)s %%)") % {
            "code": code,
            "percent": _plain_number(value),
        }
    amount = number_format(round_money(value, currency), decimal_pos=minor_unit_exponent(currency))
    return gettext("Discount %(code)s (−%(amount)s %(currency)s per period)") % {
        "code": code,
        "amount": amount,
        "currency": currency,
    }


def discount_summary(subscription: Subscription) -> str:
    """What the customer and staff read on the subscription, e.g. "Discount SPRING10: -10 %,
    2 periods left" ("" without a discount). Reads `discount_code`: select it with the row."""
    if not subscription.discount_kind or subscription.discount_value is None:
        return ""
    value = subscription.discount_value
    if subscription.discount_kind == DiscountKind.PERCENT:
        amount = gettext("−%(percent)s %%") % {"percent": _plain_number(value)}
    else:
        currency = subscription.currency
        amount = gettext("−%(amount)s %(currency)s per period") % {
            "amount": number_format(
                round_money(value, currency), decimal_pos=minor_unit_exponent(currency)
            ),
            "currency": currency,
        }
    left = subscription.discount_periods_left
    if left is None:
        duration = gettext("for as long as it runs")
    elif left == 0:
        duration = gettext("no periods left")
    else:
        duration = ngettext("%(count)s period left", "%(count)s periods left", left) % {
            "count": left
        }
    code = subscription.discount_code
    return gettext("Discount %(code)s: %(amount)s, %(duration)s") % {
        "code": code.code if code is not None else "",
        "amount": amount,
        "duration": duration,
    }


@transaction.atomic
def discount_code_redeem(
    *,
    subscription: Subscription,
    code: DiscountCode | str,
    actor: User | SystemActor,
    today: date,
) -> Subscription:
    """Count one use of the code and give its discount to the (saved) subscription.

    Under the code's row lock, so two buyers of the last use cannot both get it; every check
    of `discount_code_find` runs again there. Redeeming the same code on the same
    subscription again (a retried checkout) counts nothing more."""
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    code_text = code if isinstance(code, str) else code.code
    # The subscription's business's code only: another business's is unknown here.
    candidates = DiscountCode.objects.select_for_update().filter(tenant_id=locked.tenant_id)
    if isinstance(code, str):
        candidates = candidates.filter(code=normalize_code(code))
    else:
        candidates = candidates.filter(pk=code.pk)
    discount = candidates.first()
    if discount is None:
        raise _unknown(code_text)
    if locked.discount_redeemed_at is not None:
        if locked.discount_code_id == discount.pk:
            _copy_discount(locked, subscription)
            return subscription
        raise ValidationError(
            _("This subscription already has a discount."), code="discount_already"
        )
    _check(discount, tariff=locked.tariff, today=today)
    before = {"uses": discount.uses}
    discount.uses += 1
    discount.save(update_fields=["uses"])
    discount_apply(locked, discount)
    locked.discount_redeemed_at = timezone.now()
    locked.save(update_fields=DISCOUNT_FIELDS)
    _copy_discount(locked, subscription)
    audit_record(
        tenant=locked.tenant,
        actor=actor,
        action="discount_code.redeem",
        obj=locked,
        before=before,
        after={
            "uses": discount.uses,
            "code": discount.code,
            "kind": discount.kind,
            "value": str(discount.value),
            "periods": discount.periods,
        },
    )
    return subscription


@transaction.atomic
def discount_code_release(*, subscription: Subscription, actor: User | SystemActor) -> bool:
    """Give the subscription's use of its code back (an unpaid checkout expired) and take the
    discount off it. Idempotent: `discount_redeemed_at` marks a use still counted, so a second
    call (a retried job) gives nothing back twice. Returns whether a use was given back."""
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if locked.discount_redeemed_at is None or locked.discount_code_id is None:
        return False
    discount = DiscountCode.objects.select_for_update().get(pk=locked.discount_code_id)
    before = {"uses": discount.uses, "code": discount.code}
    # Never below zero, even if someone reset the counter in between.
    discount.uses = max(discount.uses - 1, 0)
    discount.save(update_fields=["uses"])
    locked.discount_code = None
    locked.discount_kind = ""
    locked.discount_value = None
    locked.discount_periods_left = None
    locked.discount_redeemed_at = None
    locked.save(update_fields=DISCOUNT_FIELDS)
    _copy_discount(locked, subscription)
    audit_record(
        tenant=locked.tenant,
        actor=actor,
        action="discount_code.release",
        obj=locked,
        before=before,
        after={"uses": discount.uses, "code": ""},
    )
    return True


def _copy_discount(source: Subscription, target: Subscription) -> None:
    """The caller's instance sees what was saved on the locked copy."""
    if source is target:
        return
    for name in DISCOUNT_FIELDS:
        setattr(target, name, getattr(source, name))
