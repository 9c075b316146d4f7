"""Portal links: one secure URL that signs a customer's contact in to the portal.

A portal link is a signed link (contracts.links, purpose "portal") whose object is a contact
and which carries a random nonce. It is
- single-use: signing in records the nonce in PortalLinkUse, whose unique constraint lets
  exactly one request through, however many race with the same link;
- valid for the business's `link_validity_days`, and revoked with every other link sent to the
  customer by rotating the customer's link secret (customer_links_revoke, closing the account);
- only for a contact who may log in on that business's host: active, of an open account, with
  an active user. Staff and superusers are never signed in by a link (their back office needs
  their password and the business's two-factor rule); they are sent to the login page.
  A contact with two-factor authentication still gives their code: the link stands in for the
  password only, and allauth's login stages ask for the second factor (see link_views).

Staff copy or e-mail a contact's link from the customer page (Billing and up); a contact asks
for one from the login page. Each is audited; e-mails go out through Celery after commit.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from contracts import tasks
from contracts.links import customer_link_token, linked_target
from contracts.models import Contact, Customer, PortalLinkUse
from core.audit import audit_record
from core.models import Tenant, User
from core.roles import SYSTEM, SystemActor, require, staff_role
from core.signing import LinkInvalid
from core.tenancy import link_base

PURPOSE = "portal"
# The query parameter of a document link (invoice, quote) that carries the portal scope.
SCOPE_PARAM = "portal"
# The query parameter of a document link that names its recipient for the login form.
EMAIL_PARAM = "email"


class PortalLinkUsed(LinkInvalid):
    """Genuine, but it has signed someone in already."""


class PortalLinkNotForStaff(LinkInvalid):
    """Genuine, but its person is staff (or a superuser): they log in with their password."""

    def __init__(self, email: str) -> None:
        super().__init__("staff log in with their password")
        self.email = email


@dataclass(frozen=True)
class PortalLink:
    contact: Contact
    nonce: str


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def portal_link_path(contact: Contact, *, nonce: str = "") -> str:
    token = customer_link_token(
        customer=contact.customer,
        purpose=PURPOSE,
        object_id=contact.pk,
        nonce=nonce or new_nonce(),
    )
    return f"/l/portal/{token}/"


def portal_link_url(contact: Contact, *, nonce: str = "") -> str:
    return link_base(contact.tenant) + portal_link_path(contact, nonce=nonce)


def is_staff_somewhere_here(user: User, tenant: Tenant) -> bool:
    return user.is_superuser or staff_role(user, tenant) is not None


def contact_may_use_portal_link(contact: Contact) -> bool:
    """An active contact of an open account whose person may log in here, and is not staff."""
    user = contact.user
    return (
        contact.is_active
        and contact.customer.closed_at is None
        and user.is_active
        and not is_staff_somewhere_here(user, contact.tenant)
    )


def portal_link_contacts(customer: Customer) -> list[Contact]:
    """The contacts a portal link can be made for, the account owners first."""
    contacts = (
        Contact.objects.filter(customer=customer, is_active=True, user__is_active=True)
        .select_related("user", "customer", "tenant")
        .order_by("user__email")
    )
    eligible = [c for c in contacts if contact_may_use_portal_link(c)]
    return sorted(eligible, key=lambda c: c.role != "owner")


def portal_link_check(*, tenant: Tenant, token: str) -> PortalLink:
    """The contact a portal link signs in, without using it; or LinkInvalid (tampered, another
    business's, revoked, a closed account, the contact gone), LinkExpired, PortalLinkUsed or
    PortalLinkNotForStaff."""
    customer, target = linked_target(tenant=tenant, token=token, purpose=PURPOSE)
    if not target.nonce:
        raise LinkInvalid("a portal link carries a nonce")
    contact = (
        Contact.objects.filter(tenant=tenant, customer=customer, pk=target.object_id)
        .select_related("user", "customer", "tenant")
        .first()
    )
    if contact is None or not contact.is_active or not contact.user.is_active:
        raise LinkInvalid("no such contact")
    if is_staff_somewhere_here(contact.user, tenant):
        raise PortalLinkNotForStaff(contact.user.email)
    if PortalLinkUse.objects.filter(nonce=target.nonce).exists():
        raise PortalLinkUsed("used already")
    return PortalLink(contact=contact, nonce=target.nonce)


def portal_link_redeem(*, tenant: Tenant, token: str) -> Contact:
    """Use a portal link: record it as used (once: see PortalLinkUse) and return the contact
    to sign in. Raises as portal_link_check does; PortalLinkUsed for the loser of a race."""
    link = portal_link_check(tenant=tenant, token=token)
    contact = link.contact
    try:
        with transaction.atomic():
            PortalLinkUse.objects.create(
                tenant=tenant, customer=contact.customer, contact=contact, nonce=link.nonce
            )
            audit_record(
                tenant=tenant,
                actor=contact.user,
                action="contact.portal_link_use",
                obj=contact,
            )
    except IntegrityError as exc:
        raise PortalLinkUsed("used already") from exc
    return contact


def portal_link_copy(*, contact: Contact, actor: User | SystemActor) -> str:
    """A fresh portal link for staff to hand over themselves; audited (not the link itself)."""
    require(actor, "customer.portal_link", tenant=contact.tenant)
    if not contact_may_use_portal_link(contact):
        raise LinkInvalid("this contact cannot use a portal link")
    with transaction.atomic():
        audit_record(
            tenant=contact.tenant,
            actor=actor,
            action="customer.portal_link_copy",
            obj=contact.customer,
            after={"contact": contact.user.email},
        )
    return portal_link_url(contact)


@transaction.atomic
def portal_link_email(*, contact: Contact, actor: User | SystemActor) -> None:
    """E-mail the contact a fresh portal link, once, through Celery after commit."""
    require(actor, "customer.portal_link", tenant=contact.tenant)
    if not contact_may_use_portal_link(contact):
        raise LinkInvalid("this contact cannot use a portal link")
    _enqueue(contact, actor=actor, action="customer.portal_link_email")


def _enqueue(contact: Contact, *, actor: User | SystemActor, action: str) -> None:
    nonce = new_nonce()
    audit_record(
        tenant=contact.tenant,
        actor=actor,
        action=action,
        obj=contact.customer,
        after={"contact": contact.user.email},
    )
    transaction.on_commit(lambda: tasks.send_portal_link.delay(contact.pk, nonce))


@transaction.atomic
def portal_link_request(*, tenant: Tenant, email: str) -> bool:
    """Someone asked on the login page for a sign-in link to this address. If it is a contact
    who may use one here, a link is e-mailed (to the first of their accounts by name; they can
    switch once in). True if one was queued; the page must answer the same either way."""
    contacts = (
        Contact.objects.filter(
            tenant=tenant,
            user__email__iexact=email.strip(),
            is_active=True,
            customer__closed_at__isnull=True,
        )
        .select_related("user", "customer", "tenant")
        .order_by("customer__name", "customer_id")
    )
    contact = next((c for c in contacts if contact_may_use_portal_link(c)), None)
    if contact is None or not _within_daily_cap(tenant, email):
        return False
    _enqueue(contact, actor=SYSTEM, action="contact.portal_link_request")
    return True


# Links e-mailed to one address a day on request: the per-minute limit of the login page alone
# would let anyone flood a person's inbox with thousands a day.
REQUESTS_PER_ADDRESS_PER_DAY = 10


def _within_daily_cap(tenant: Tenant, email: str) -> bool:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    key = f"kontor:portal-link-requests:{tenant.pk}:{timezone.now():%Y%m%d}:{digest}"
    cache.add(key, 0, timeout=86400)
    try:
        sent = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=86400)
        sent = 1
    return sent <= REQUESTS_PER_ADDRESS_PER_DAY


def document_link_query(*, customer: Customer, recipients: list[str]) -> str:
    """What a document link (invoice, quote) e-mailed to these recipients carries after `?`.

    It carries the portal scope, a fresh single-use portal link for one contact (SCOPE_PARAM),
    only when the mail goes to exactly one address and that address is a contact of the
    customer who may use portal links: a mail to several addresses is one text, and must not
    let each reader sign in as one person. A mail to one other address carries that address
    (EMAIL_PARAM), to fill in on the login page; a mail to several carries nothing. Links
    built anywhere else (the portal, redirects after paying) carry nothing."""
    if len(recipients) != 1:
        return ""
    address = recipients[0]
    contact = (
        Contact.objects.filter(customer=customer, user__email__iexact=address, is_active=True)
        .select_related("user", "customer", "tenant")
        .first()
    )
    if contact is not None and contact_may_use_portal_link(contact):
        token = portal_link_path(contact).removeprefix("/l/portal/").rstrip("/")
        return "?" + urlencode({SCOPE_PARAM: token})
    return "?" + urlencode({EMAIL_PARAM: address})


def login_url(*, email: str = "", next_path: str = "") -> str:
    """The login page, with the e-mail address filled in (portal.login_form) and where to go."""
    query = {key: value for key, value in (("login", email), ("next", next_path)) if value}
    return reverse("account_login") + (f"?{urlencode(query)}" if query else "")


def document_portal_entry(
    *, tenant: Tenant, customer: Customer, scope: str, email: str, next_path: str
) -> dict[str, str]:
    """Where a document page's "Go to your portal" leads: with a valid portal scope for this
    customer (document_link_query), a button that signs its contact in and opens the document
    in the portal; otherwise the login page, the recipient's address filled in when known."""
    sign_in_url = ""
    login_email = email[:254] if "@" in email else ""
    if scope:
        try:
            link = portal_link_check(tenant=tenant, token=scope[:300])
        except PortalLinkNotForStaff as exc:
            login_email = exc.email
        except LinkInvalid:
            pass
        else:
            if link.contact.customer_id == customer.pk:
                sign_in_url = reverse("portal_link", args=[scope])
                login_email = link.contact.user.email
    return {
        "portal_sign_in_url": sign_in_url,
        "portal_next": next_path,
        "portal_login_url": login_url(email=login_email, next_path=next_path),
    }
