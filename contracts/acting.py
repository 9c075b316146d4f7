"""Act as customer: a staff member opens a customer's portal view from the back office.

Who may, and what they may do there, is the role matrix's (core.roles): every staff role may
open the view (`customer.act_as`), read-only for Support; Billing and up may act
(`customer.act_as.act`), each portal action then also needing the staff action that
`ACTING_ACTIONS` names for it — some (signing a quote, closing the account, managing who may
log in) never on the customer's behalf. The business's terms are never accepted for them.

It lives in the staff member's own session (no one logs in as anybody): the customer's id,
the start time and who started it. It ends by one click, by logging out, or after an hour.
Every portal page viewed and every action taken meanwhile is audited under both identities
(the staff member as actor, the customer in `on_behalf_of`). Pages outside the portal that
concern logins (password, e-mail addresses, second factors, sessions) are closed while
acting, so nobody mistakes their own security pages for the customer's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.models import Customer
from core.acting import ActingFor, ActingRefused, acting
from core.audit import audit_record
from core.models import User
from core.roles import may, require

SESSION_KEY = "kontor_acting_as"
# Long enough to follow a customer's question through the portal; short enough that a
# forgotten tab does not keep a staff member in a customer's shoes for the rest of the day.
ACTING_MAX_AGE = timedelta(hours=1)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# While acting, the pages about the staff member's own login stay closed (all of allauth but
# logging out); the back office stays open, and shows the way back.
# Login and security pages, and signed portal links (which would log in as the contact and
# leave acting behind).
CLOSED_PREFIXES = ("/accounts/", "/l/portal/")

# What only the customer may do themselves, each with the reason the staff member is given
# (a page says which with `customer_required(acting_refuses=…)`, a service by raising
# core.acting.ActingRefused with the code).
ACTING_REFUSALS = {
    "terms": gettext_lazy(
        "This page accepts the business's terms for the customer, which staff never do on a "
        "customer's behalf: nothing was changed."
    ),
    "terms_pending": gettext_lazy(
        "The customer has not accepted the business's current terms yet, and staff never "
        "accept them on a customer's behalf: they accept them in their portal first. "
        "Nothing was changed."
    ),
}


@dataclass(frozen=True)
class ActingSession:
    user_id: int
    tenant_id: int
    customer_id: int
    customer_label: str
    started_at: datetime

    @property
    def expires_at(self) -> datetime:
        return self.started_at + ACTING_MAX_AGE

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    @property
    def context(self) -> ActingFor:
        return ActingFor(
            user_id=self.user_id,
            tenant_id=self.tenant_id,
            customer_id=self.customer_id,
            customer_label=self.customer_label,
        )

    @property
    def admin_url(self) -> str:
        return reverse("admin:contracts_customer_change", args=[self.customer_id])


class ActingConflict(ValidationError):
    """Already acting as another customer: ending it comes first."""


def _label(customer: Customer) -> str:
    return f"{customer.name} ({customer.number})" if customer.number else customer.name


def acting_session_read(
    session: SessionBase, *, user: User, tenant_id: int
) -> ActingSession | None:
    """The acting state stored in this session, if it is this person's at this tenant."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    try:
        state = ActingSession(
            user_id=int(data["user_id"]),
            tenant_id=int(data["tenant_id"]),
            customer_id=int(data["customer_id"]),
            customer_label=str(data["customer_label"]),
            started_at=datetime.fromisoformat(data["started_at"]),
        )
    except (KeyError, TypeError, ValueError):
        session.pop(SESSION_KEY, None)
        return None
    if state.user_id != user.pk or state.tenant_id != tenant_id:
        return None
    return state


def acting_start(*, session: SessionBase, actor: User, customer: Customer) -> ActingSession:
    """Start acting as `customer` in the staff member's session (Support and up). Acting as
    another customer meanwhile is refused: switching goes through ending, so that each
    stretch of acting is audited with its own start and end."""
    require(actor, "customer.act_as", tenant=customer.tenant)
    if customer.closed_at is not None:
        raise ValidationError(_("This customer account is closed; its portal is shut."))
    current = acting_session_read(session, user=actor, tenant_id=customer.tenant_id)
    if current is not None and not current.is_expired(timezone.now()):
        if current.customer_id == customer.pk:
            return current
        raise ActingConflict(
            _("You are acting as %(customer)s. End that first.")
            % {"customer": current.customer_label}
        )
    state = ActingSession(
        user_id=actor.pk,
        tenant_id=customer.tenant_id,
        customer_id=customer.pk,
        customer_label=_label(customer),
        started_at=timezone.now(),
    )
    session[SESSION_KEY] = {
        "user_id": state.user_id,
        "tenant_id": state.tenant_id,
        "customer_id": state.customer_id,
        "customer_label": state.customer_label,
        "started_at": state.started_at.isoformat(),
    }
    with acting(state.context):
        audit_record(
            tenant=customer.tenant,
            actor=actor,
            action="customer.act_as.start",
            obj=customer,
            after={"expires_at": state.expires_at.isoformat()},
        )
    return state


def acting_end(
    *, session: SessionBase, actor: User, tenant: Any, state: ActingSession, reason: str
) -> None:
    """End acting: `reason` is "ended" (the button), "expired", "logout" or "revoked" (the
    customer closed or the staff member's role gone)."""
    session.pop(SESSION_KEY, None)
    customer = Customer.objects.filter(tenant=tenant, pk=state.customer_id).first()
    with acting(state.context):
        audit_record(
            tenant=tenant,
            actor=actor,
            action="customer.act_as.end",
            obj=customer,
            after={"reason": reason, "started_at": state.started_at.isoformat()},
        )


def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "403.html", {"reason": reason}, status=403)


def acting_portal_view(
    request: HttpRequest,
    state: ActingSession,
    view: Callable[..., HttpResponse],
    args: tuple,
    kwargs: dict,
    *,
    refuses: str | None = None,
) -> HttpResponse:
    """A portal page seen by a staff member acting as the customer (the gate for portal views,
    contracts.access.customer_required, hands over here): no contact, the customer's data,
    the matrix answering from the staff member's role, every request audited — an action
    taken, shown again with its errors, or refused, each under both identities. `refuses`: a
    page whose form staff never send for a customer (a code of ACTING_REFUSALS)."""
    tenant = request.tenant
    customer = Customer.objects.filter(
        tenant=tenant, pk=state.customer_id, closed_at__isnull=True
    ).first()
    if customer is None or not may(request.user, "customer.act_as", tenant=tenant):
        acting_end(
            session=request.session,
            actor=request.user,
            tenant=tenant,
            state=state,
            reason="revoked",
        )
        messages.warning(
            request, _("Acting as %(customer)s has ended.") % {"customer": state.customer_label}
        )
        return HttpResponseRedirect(reverse("admin:index"))
    customer.tenant = tenant  # the request's own, already loaded
    request.contact = None
    request.contacts = []
    request.customer = customer
    if request.method in SAFE_METHODS:
        with acting(state.context):
            _audit_request(request, "customer.act_as.view", customer)
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied as exc:
                return _refused(request, _refusal_message(exc, state))
    with acting(state.context):
        return _acting_action(request, state, customer, view, args, kwargs, refuses=refuses)


def _acting_action(
    request: HttpRequest,
    state: ActingSession,
    customer: Customer,
    view: Callable[..., HttpResponse],
    args: tuple,
    kwargs: dict,
    *,
    refuses: str | None,
) -> HttpResponse:
    """An action (any method but GET, HEAD, OPTIONS) while acting. Each one is audited under
    both identities, whatever comes of it: taken (`customer.act_as.action`, besides its
    service's own entry), shown again with its errors (the same, with the status), or refused
    (`customer.act_as.refused`, with why)."""
    if not may(request.user, "customer.act_as.act", tenant=request.tenant):
        _audit_request(request, "customer.act_as.refused", customer, reason="read_only")
        return _refused(
            request,
            _(
                "Your role lets you view %(customer)s's portal but not act in it: "
                "nothing was changed."
            )
            % {"customer": state.customer_label},
        )
    if refuses is not None:
        _audit_request(request, "customer.act_as.refused", customer, reason=refuses)
        return _refused(request, str(ACTING_REFUSALS[refuses]))
    try:
        response = view(request, *args, **kwargs)
    except PermissionDenied as exc:
        reason = exc.code if isinstance(exc, ActingRefused) else "not_allowed"
        _audit_request(request, "customer.act_as.refused", customer, reason=reason)
        return _refused(request, _refusal_message(exc, state))
    except Exception:
        # Not found, a fault: still on record that it was tried (then handled as always).
        _audit_request(request, "customer.act_as.refused", customer, reason="failed")
        raise
    # Taken: the portal answers an action it took with a redirect (POST, redirect, GET); a
    # form shown again with its errors changed nothing, and says so with its status.
    if 300 <= response.status_code < 400:
        _audit_request(request, "customer.act_as.action", customer)
    else:
        _audit_request(request, "customer.act_as.action", customer, status=response.status_code)
    return response


def _refusal_message(exc: PermissionDenied, state: ActingSession) -> str:
    if isinstance(exc, ActingRefused) and exc.code in ACTING_REFUSALS:
        return str(ACTING_REFUSALS[exc.code])
    return _refused_reason(state)


def _refused_reason(state: ActingSession) -> str:
    return _(
        "Your role does not allow this on %(customer)s's behalf, or only the customer may do "
        "it themselves: nothing was changed."
    ) % {"customer": state.customer_label}


def _audit_request(
    request: HttpRequest, action: str, customer: Customer | None, **detail: str | int
) -> None:
    request.acting_audited = True
    audit_record(
        tenant=request.tenant,
        actor=request.user,
        action=action,
        obj=customer,
        after={"path": request.get_full_path()[:500], "method": request.method, **detail},
    )


class ActingAsMiddleware:
    """Reads the acting state for every request (`request.acting_as`, for the banner and the
    portal gate), ends it when it has expired or on logging out, closes the login pages while
    it lasts, and audits every action sent while acting that the portal's gate did not.
    Sits after authentication and messages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.acting_as = None
        tenant = getattr(request, "tenant", None)
        user = getattr(request, "user", None)
        if tenant is None or user is None or not user.is_authenticated:
            return self.get_response(request)
        if SESSION_KEY not in request.session:
            return self.get_response(request)
        state = acting_session_read(request.session, user=user, tenant_id=tenant.pk)
        if state is None:
            return self.get_response(request)
        path = request.path_info
        if path in _logout_paths():
            # Logging out (from the portal or the back office) ends acting first, audited,
            # and then logs out as always: nothing of it is left in the session.
            if request.method == "POST":
                expired = state.is_expired(timezone.now())
                acting_end(
                    session=request.session,
                    actor=user,
                    tenant=tenant,
                    state=state,
                    reason="expired" if expired else "logout",
                )
            return self.get_response(request)
        if state.is_expired(timezone.now()):
            acting_end(
                session=request.session, actor=user, tenant=tenant, state=state, reason="expired"
            )
            messages.info(
                request,
                _("Acting as %(customer)s ended after an hour.")
                % {"customer": state.customer_label},
            )
            if path.startswith("/manage/"):
                return self.get_response(request)
            return HttpResponseRedirect(state.admin_url)
        request.acting_as = state
        request.acting_read_only = not may(user, "customer.act_as.act", tenant=tenant)
        if path.startswith(CLOSED_PREFIXES):
            with acting(state.context):
                _audit_request(request, "customer.act_as.refused", None, reason="closed")
            return _refused(
                request,
                _(
                    "Login and security pages are closed while you act as %(customer)s. "
                    "End acting first."
                )
                % {"customer": state.customer_label},
            )
        response = self.get_response(request)
        if (
            request.method not in SAFE_METHODS
            and not getattr(request, "acting_audited", False)
            and not path.startswith("/manage/")
            and path != reverse("acting_end")
        ):
            # Sent while acting outside the portal's pages (the language switch, a document's
            # signed link): on record under both identities too. The back office is the staff
            # member's own, audited as always; ending is audited by itself.
            with acting(state.context):
                _audit_request(request, "customer.act_as.action", None, status=response.status_code)
        return response


def _logout_paths() -> set[str]:
    return {reverse("account_logout"), reverse("admin:logout")}
