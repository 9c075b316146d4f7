"""Low-balance alerts and the customer's choice of an automatic top-up.

A business may set a threshold (`Tenant.low_balance_threshold`, in credits). When a use or a
correction takes a customer's balance from at or above it to below it, that is a *crossing*:
it is numbered on the `CreditAccount` under the account's row lock (the functions that change the
balance in `subscriptions.credits` call `low_balance_check`), and after commit the customer and
the business are e-mailed once for it. Rising back to the threshold or above (a purchase, a
correction) re-arms the alert: the next fall is a new crossing.

A customer who chose an automatic top-up has it bought by billing, a floor above this app, which
then sends the alert (saying the top-up was started, when it was)."""

from __future__ import annotations

from collections.abc import Callable

from celery import current_app
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer
from core.audit import audit_record
from core.emails import send_each_once, send_templated
from core.licence import LicenceModule, licence_enabled
from core.models import Tenant, User
from core.roles import require
from core.tenancy import link_base
from subscriptions.emails import by_language, customer_recipients
from subscriptions.models import CreditAccount, Package, PackageKind
from subscriptions.tasks import send_low_balance_alert

# Billing's task (billing/payments/tasks.py), named rather than imported: subscriptions sits below
# billing and never imports it (floors, enforced by import-linter).
AUTO_TOPUP_TASK = "billing.tasks.auto_topup"


def low_balance_check(account: CreditAccount, *, delta: int, tenant: Tenant) -> None:
    """After the balance of a row-locked account changed by `delta` (saved): number a crossing
    of the business's threshold, and have it e-mailed (and topped up) after commit."""
    threshold = tenant.low_balance_threshold
    before = account.balance - delta
    if threshold is None or not before >= threshold > account.balance:
        return
    account.low_balance_crossings += 1
    account.save(update_fields=["low_balance_crossings"])
    args = (account.pk, account.low_balance_crossings, account.balance)
    if account.auto_topup_package_id is None:
        transaction.on_commit(lambda: send_low_balance_alert.delay(*args))
    else:
        # Billing buys the top-up, then sends the alert. By name (AUTO_TOPUP_TASK): a signature
        # runs the task like .delay() (eagerly too, where tasks run in-process); were billing's
        # tasks not loaded in this process, Celery sends it by name to the workers, which are.
        transaction.on_commit(lambda: current_app.signature(AUTO_TOPUP_TASK, args=args).delay())


def send_low_balance(account_id: int, crossing: int, balance: int) -> int:
    """E-mail the customer (its recipients, each in their language) and the business's
    notification addresses (in its locale) about one crossing. Returns how many messages went
    out; 0 when this crossing (or a later one) was already e-mailed, or alerts were turned off
    (no threshold, or paid VIP support no longer in the business's licence)."""
    with transaction.atomic():
        account = (
            CreditAccount.objects.select_for_update(of=("self",))
            .select_related("customer__tenant", "auto_topup_order")
            .filter(pk=account_id)
            .first()
        )
        if account is None or account.low_balance_alerted >= crossing:
            return 0
        customer = account.customer
        tenant = customer.tenant
        if tenant.low_balance_threshold is None or not licence_enabled(
            tenant, LicenceModule.VIP_SUPPORT
        ):
            # Alerts turned off, or paid support no longer licensed: this crossing is not told.
            account.low_balance_alerted = crossing
            account.save(update_fields=["low_balance_alerted"])
            return 0
        # Billing records the crossing it bought a top-up for before it asks for this e-mail.
        topped_up = account.auto_topup_crossing == crossing and account.auto_topup_order
        context = {
            "customer": customer,
            "balance": balance,
            "threshold": tenant.low_balance_threshold,
            "topup": topped_up.title if topped_up else "",
            "credits_link": f"{link_base(tenant)}/credits/",
            "customer_link": f"{link_base(tenant)}/manage/contracts/customer/{customer.pk}/change/",
        }

        def sender(prefix: str, language: str) -> Callable[[list[str]], None]:
            def send(to: list[str]) -> None:
                send_templated(
                    prefix=prefix, to=to, context=context, language=language, tenant=tenant
                )

            return send

        messages = [
            (addresses, sender("emails/low_balance_customer", language))
            for language, addresses in by_language(customer, customer_recipients(customer)).items()
        ]
        business = list(tenant.notification_emails)
        if business:
            messages.append((business, sender("emails/low_balance_business", tenant.locale)))
        # Sent under the lock (crossings are rare: holding this customer's next use for the
        # sends costs little), each address once (send_each_once); the crossing is marked as
        # told only when all went out, and a failure is raised after the others' marks commit.
        report = send_each_once(f"low_balance:{account.pk}:{crossing}", messages)
        if not report.failures:
            account.low_balance_alerted = crossing
            account.save(update_fields=["low_balance_alerted"])
    report.raise_failure()
    return report.sent


def auto_topup_packages(tenant: Tenant):
    """What a customer may choose to buy automatically: the business's credit packages on sale."""
    return Package.objects.filter(tenant=tenant, is_active=True, kind=PackageKind.CREDITS)


@transaction.atomic
def auto_topup_set(*, customer: Customer, package: Package | None, actor: User) -> CreditAccount:
    """Choose the credit package bought automatically when the balance falls below the
    business's threshold, or turn it off (None). It commits the customer to pay, like buying.
    Whether the business takes cards is billing's to check, in the page that offers this."""
    require(actor, "package.buy", tenant=customer.tenant, customer_id=customer.pk)
    if package is not None:
        if customer.tenant.low_balance_threshold is None:
            raise ValidationError(
                _("Automatic top-up needs a low-balance threshold, which is not set."),
                code="no_threshold",
            )
        if not auto_topup_packages(customer.tenant).filter(pk=package.pk).exists():
            raise ValidationError(_("Choose one of the credit packages on sale."), code="package")
    account, _created = CreditAccount.objects.select_for_update().get_or_create(
        customer=customer, defaults={"tenant": customer.tenant}
    )
    before = account.auto_topup_package
    account.auto_topup_package = package
    account.save(update_fields=["auto_topup_package"])
    audit_record(
        tenant=customer.tenant,
        actor=actor,
        action="credits.auto_topup",
        obj=customer,
        before={"package": str(before or "")},
        after={"package": str(package or "")},
    )
    return account
