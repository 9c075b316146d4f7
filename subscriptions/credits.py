"""Services for support packages and the credit ledger."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer
from core.audit import audit_record
from core.models import User
from core.roles import SYSTEM, SystemActor, acting_user, require
from subscriptions.access import (
    OFF_KIND_SWITCH,
    OFF_LAPSED,
    department_access_switch_off_packaged,
    department_access_switch_on_for_purchase,
)
from subscriptions.alerts import low_balance_check
from subscriptions.models import (
    CREDITS_MAX,
    CreditAccount,
    CreditLedgerEntry,
    Department,
    LedgerKind,
    Order,
    Package,
    PackageKind,
    PackagePurchase,
)
from subscriptions.orders import order_create
from subscriptions.purchases import purchase_credits_draw, purchases_forfeit

RENEWAL_WINDOW_DAYS = 30  # a subscription package can be bought again in its last 30 days


class InsufficientCredits(ValidationError):
    pass


class ForfeitNeedsConfirmation(ValidationError):
    """Buying the other kind of package forfeits what is left: ask the customer first."""


def credit_account(customer: Customer) -> CreditAccount:
    account, _created = CreditAccount.objects.get_or_create(
        customer=customer, defaults={"tenant": customer.tenant}
    )
    return account


def credit_account_locked(customer: Customer) -> CreditAccount:
    """The customer's account, its row locked until the transaction ends (one query when it
    exists, which is every time but the first)."""
    account = CreditAccount.objects.select_for_update().filter(customer=customer).first()
    if account is None:
        credit_account(customer)  # make sure the row exists before locking it
        account = CreditAccount.objects.select_for_update().get(customer=customer)
    return account


def _has_something(account: CreditAccount, today: date) -> bool:
    if account.kind == PackageKind.CREDITS:
        return account.balance > 0
    if account.kind == PackageKind.SUBSCRIPTION:
        return account.valid_until is not None and account.valid_until >= today
    return False


def purchase_check(customer: Customer, package: Package, today: date) -> str | None:
    """What stands in the way of buying: None, "forfeit" (needs confirmation), or raises for a
    subscription package bought too early."""
    account = CreditAccount.objects.filter(customer=customer).first()  # reads only
    if account is None or not _has_something(account, today) or account.kind == "":
        return None
    if account.kind != package.kind:
        return "forfeit"
    if package.kind == PackageKind.SUBSCRIPTION:
        opens = account.valid_until - timedelta(days=RENEWAL_WINDOW_DAYS - 1)
        if today < opens:
            raise ValidationError(
                gettext("Your package runs until %(until)s; it can be renewed from %(opens)s.")
                % {"until": date_format(account.valid_until), "opens": date_format(opens)},
                code="too_early",
            )
    return None


@transaction.atomic
def package_purchase(
    *,
    customer: Customer,
    package: Package,
    actor: User | SystemActor,
    today: date,
    confirm_forfeit: bool = False,
    as_contact: bool = True,
) -> Order:
    """Buy a package: credits are added (or the period extended) at once; an order with the
    price is opened for the invoice (paid once payments land). Invoicing it e-mails both sides
    (billing.payments.checkout.package_purchase_invoiced)."""
    require(
        actor,
        "package.buy" if as_contact else "credits.adjust",
        tenant=customer.tenant,
        customer_id=customer.pk,
    )
    if package.tenant_id != customer.tenant_id or not package.is_active:
        raise ValidationError(_("This package is not on sale."), code="package")
    account = credit_account_locked(customer)
    obstacle = purchase_check(customer, package, today)
    if obstacle == "forfeit":
        if not confirm_forfeit:
            raise ForfeitNeedsConfirmation(
                _("Buying this package forfeits what is left of your current one."),
                code="forfeit",
            )
        _forfeit(account, actor=actor, today=today)
    elif account.kind and (
        account.kind != package.kind
        or (account.kind == PackageKind.SUBSCRIPTION and not _has_something(account, today))
    ):
        # Nothing left to forfeit (credits used up, a subscription package over), but the old
        # package's departments still go: a switch of kind, or a lapse the hourly task has not
        # seen yet, must not leave them on under the new package.
        reason = OFF_KIND_SWITCH if account.kind != package.kind else OFF_LAPSED
        department_access_switch_off_packaged(customer=customer, actor=actor, reason=reason)
    if package.kind == PackageKind.CREDITS:
        account.balance += package.credits
        account.valid_until = None
        delta = package.credits
        start = None
    else:
        start = (
            account.valid_until + timedelta(days=1)
            if account.kind == PackageKind.SUBSCRIPTION
            and account.valid_until
            and account.valid_until >= today
            else today
        )
        account.valid_until = start + timedelta(days=package.duration_days - 1)
        delta = 0
    account.kind, account.package = package.kind, package
    account.save()
    # The ledger's reference and the order's title are the customer's records (the credits
    # page, the order's invoice line): in their document language.
    language = customer.language or customer.tenant.locale
    CreditLedgerEntry.objects.create(
        tenant=customer.tenant,
        customer=customer,
        kind=LedgerKind.PURCHASE,
        delta=delta,
        balance_after=account.balance,
        package=package,
        actor=acting_user(actor),  # nobody for SYSTEM (an automatic top-up)
        reference=package.text_in("name", language),
    )
    order = order_create(
        customer=customer,
        title=package.text_in("name", language),
        actor=SYSTEM,
        description=package.text_in("description", language),
    )
    order.amount, order.currency = package.price, package.currency
    order.save(update_fields=["amount", "currency"])
    PackagePurchase.objects.create(
        tenant=customer.tenant,
        customer=customer,
        package=package,
        kind=package.kind,
        buyer=acting_user(actor),
        order=order,
        credits=package.credits,
        credits_left=package.credits,
        valid_from=start if package.kind == PackageKind.SUBSCRIPTION else None,
        valid_until=account.valid_until if package.kind == PackageKind.SUBSCRIPTION else None,
    )
    department_access_switch_on_for_purchase(customer=customer, package=package, actor=actor)
    audit_record(
        tenant=customer.tenant,
        actor=actor,
        action="package.purchase",
        obj=customer,
        after={
            "package": package.name,
            "balance": account.balance,
            "valid_until": account.valid_until,
        },
    )
    return order


def _forfeit(account: CreditAccount, *, actor: User | SystemActor, today: date) -> None:
    forfeited = account.balance
    CreditLedgerEntry.objects.create(
        tenant=account.tenant,
        customer=account.customer,
        kind=LedgerKind.FORFEIT,
        delta=-forfeited,
        balance_after=0,
        package=account.package,
        actor=acting_user(actor),
        reference=gettext("Switched package kind"),
    )
    account.balance, account.valid_until, account.kind = 0, None, ""
    purchases_forfeit(customer=account.customer, today=today)
    department_access_switch_off_packaged(
        customer=account.customer, actor=actor, reason=OFF_KIND_SWITCH
    )


def credits_check(*, customer: Customer, kind: str, amount: int, today: date | None = None) -> int:
    """Lock the customer's account and check that the use or correction fits; returns the
    change to the balance. Callers write the entry in the same transaction."""
    return _fits(credit_account_locked(customer), kind=kind, amount=amount, today=today)


def _fits(account: CreditAccount, *, kind: str, amount: int, today: date | None) -> int:
    """`credits_check` on an account already locked."""
    if kind == LedgerKind.USE:
        if amount < 1:
            raise ValidationError(_("Use at least one credit."), code="units")
        if (
            account.kind == PackageKind.SUBSCRIPTION
            and account.valid_until
            and account.valid_until >= today
        ):
            return 0
        if account.kind == PackageKind.CREDITS and account.balance >= amount:
            return -amount
        raise InsufficientCredits(_("Not enough credits."), code="insufficient")
    if account.balance + amount < 0:
        raise InsufficientCredits(_("Not enough credits."), code="insufficient")
    if account.balance + amount > CREDITS_MAX:
        raise ValidationError(
            _("A balance can hold at most %(max)d credits."),
            params={"max": CREDITS_MAX},
            code="too_many",
        )
    return amount


@transaction.atomic
def credits_use(
    *,
    customer: Customer,
    units: int,
    today: date,
    reference: str = "",
    department: Department | None = None,
    actor: User | SystemActor,
) -> CreditLedgerEntry:
    """Record use (a ticket, a conversation). Credits: the balance must cover it — checked
    under the account's row lock, so two uses at once never overdraw. Subscription packages:
    free while valid, still recorded."""
    if department is not None and department.tenant_id != customer.tenant_id:
        raise ValidationError(_("Unknown department."), code="department")
    account = credit_account_locked(customer)
    delta = _fits(account, kind=LedgerKind.USE, amount=units, today=today)
    purchase_credits_draw(customer=customer, credits=-delta)
    account.balance += delta
    account.save(update_fields=["balance"])
    low_balance_check(account, delta=delta, tenant=customer.tenant)
    audit_record(
        tenant=customer.tenant,
        actor=actor,
        action="credits.use",
        obj=customer,
        after={
            "units": units,
            "charged": -delta,
            "reference": reference,
            "department": str(department) if department else "",
        },
        actor_label="system: credit use" if actor is SYSTEM else None,
    )
    return CreditLedgerEntry.objects.create(
        tenant=customer.tenant,
        customer=customer,
        kind=LedgerKind.USE,
        delta=delta,
        balance_after=account.balance,
        department=department,
        reference=reference,
        actor=acting_user(actor),
    )


@transaction.atomic
def credits_adjust(
    *, customer: Customer, delta: int, reason: str, actor: User
) -> CreditLedgerEntry:
    """A manual correction by a Manager (goodwill credits, a mistaken use)."""
    require(actor, "credits.adjust", tenant=customer.tenant)
    if not reason.strip():
        raise ValidationError(_("Say why the balance is corrected."), code="reason")
    account = credit_account_locked(customer)
    _fits(account, kind=LedgerKind.ADJUSTMENT, amount=delta, today=None)
    purchase_credits_draw(customer=customer, credits=-delta)
    account.balance += delta
    if account.kind == "" and delta > 0:
        account.kind = PackageKind.CREDITS
    account.save(update_fields=["balance", "kind"])
    low_balance_check(account, delta=delta, tenant=customer.tenant)
    entry = CreditLedgerEntry.objects.create(
        tenant=customer.tenant,
        customer=customer,
        kind=LedgerKind.ADJUSTMENT,
        delta=delta,
        balance_after=account.balance,
        reference=reason.strip(),
        actor=actor,
    )
    audit_record(
        tenant=customer.tenant,
        actor=actor,
        action="credits.adjust",
        obj=customer,
        after={"delta": delta, "reason": reason.strip()},
    )
    return entry
