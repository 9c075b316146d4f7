"""Payment links: whether one still sells, what it sells, and the sign-up of a stranger on it.

A link's uses are its checkouts that did not expire (counted, never stored: a counter could
drift from the checkouts it counts). The checkout takes the last use under the link's row lock
(`payment_link_check(lock=True)` inside its transaction), so two buyers never share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from billing.ordering.models import Checkout, CheckoutStatus, PaymentLink
from contracts.models import Contact
from contracts.services import customer_sign_up
from core.audit import audit_record
from core.models import Tenant, User
from subscriptions.models import Option, Tariff, TariffPrice

# Why a link refuses to sell (the `code` of the ValidationError; the public page tells which).
INACTIVE = "inactive"
EXPIRED = "expired"
USED_UP = "used_up"
NOT_ON_SALE = "not_on_sale"


def payment_link_uses(link: PaymentLink) -> int:
    """Checkouts opened through the link that still count: open or completed."""
    return Checkout.objects.filter(payment_link=link).exclude(status=CheckoutStatus.EXPIRED).count()


def payment_link_tariffs(link: PaymentLink) -> QuerySet[Tariff]:
    """The link's tariffs still on sale (of its module, its business), by position."""
    return (
        link.tariffs.filter(is_active=True, module_id=link.module_id, tenant_id=link.tenant_id)
        .select_related("module")
        .prefetch_related(Prefetch("prices", queryset=TariffPrice.objects.order_by("position")))
        .order_by("position", "name", "pk")
    )


def payment_link_options(link: PaymentLink, tariff: Tariff) -> list[Option]:
    """The link's included options that this tariff offers (others are not booked with it)."""
    offered = set(tariff.options.values_list("pk", flat=True))
    return [option for option in link.options.order_by("name") if option.pk in offered]


def payment_link_check(*, link: PaymentLink, today: date, lock: bool = False) -> None:
    """Raise ValidationError (code: INACTIVE, EXPIRED, USED_UP or NOT_ON_SALE) unless the link
    still sells. With `lock`, the link's row is locked first (call it inside the transaction
    that opens the checkout): a concurrent buyer waits, then counts the use just taken."""
    if lock:
        # Fresh values under the lock: the switch or the limit may have changed meanwhile.
        link = PaymentLink.objects.select_for_update().select_related("module").get(pk=link.pk)
    if not link.is_active:
        raise ValidationError(_("This payment link has been switched off."), code=INACTIVE)
    if link.expires_on is not None and link.expires_on < today:
        raise ValidationError(_("This payment link has expired."), code=EXPIRED)
    if link.max_uses is not None and payment_link_uses(link) >= link.max_uses:
        raise ValidationError(_("This payment link has been used up."), code=USED_UP)
    if not link.module.is_active or not payment_link_tariffs(link).exists():
        raise ValidationError(
            _("What this payment link sells is no longer on sale."), code=NOT_ON_SALE
        )


@dataclass(frozen=True)
class SignUp:
    """What a stranger gives on a payment link's sign-up form."""

    company: str
    street: str
    postal_code: str
    city: str
    country: str
    full_name: str
    email: str
    password: str
    street_2: str = ""
    vat_id: str = ""


class AccountExists(ValidationError):
    """The e-mail address has a login already: here (its person logs in instead) or at another
    business's portal (one login per address; it is never handed to whoever typed it). The
    answer is the same either way, so the page tells nobody where an address has a login."""

    def __init__(self, email: str) -> None:
        super().__init__(
            _(
                "This e-mail address cannot sign up here. If it is yours and you have an "
                "account, please log in."
            ),
            code="account_exists",
        )
        self.email = email


@transaction.atomic
def link_sign_up(*, tenant: Tenant, link: PaymentLink, data: SignUp, today: date) -> Contact:
    """A stranger signs up on a payment link: a person (password set, e-mail address recorded
    for allauth, not yet verified), a customer with their company, billing address and VAT id,
    and the person as its account owner. The link is the invitation, so this works whether or
    not the business has open self-registration.

    Refuses (AccountExists) an address that has an account anywhere: attaching a new customer
    to someone else's login, or setting its password, would hand that login to a stranger."""
    if link.tenant_id != tenant.pk:
        raise PermissionDenied("another business's payment link")
    payment_link_check(link=link, today=today)
    email = User.objects.normalize_email(data.email.strip()).lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        raise AccountExists(email)
    try:
        # Created here, never found: of two sign-ups with one address at once, the second
        # fails on the unique address instead of setting a password on the first one's login.
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=data.password, full_name=data.full_name.strip()
            )
    except IntegrityError as exc:
        raise AccountExists(email) from exc
    # allauth's own table of addresses, as every other way in keeps it (unverified: nobody
    # has proved the address yet; allauth asks for that at the next password login).
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    # The link is the way in (checked above): no role to ask, the person is the actor.
    contact = customer_sign_up(
        tenant=tenant,
        user=user,
        name=data.company.strip(),
        billing_company=data.company.strip(),
        billing_street=data.street.strip(),
        billing_street_2=data.street_2.strip(),
        billing_postal_code=data.postal_code.strip(),
        billing_city=data.city.strip(),
        billing_country=data.country.strip().upper(),
        vat_id=data.vat_id,
    )
    customer = contact.customer
    audit_record(
        tenant=tenant,
        actor=user,
        action="payment_link.sign_up",
        obj=customer,
        after={"payment_link": link.name, "slug": link.slug, "email": email},
    )
    return contact
