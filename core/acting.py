"""Staff acting as a customer: the one fact the matrix and the audit log need to know.

The portal's gate (`contracts.access.customer_required`) sets `acting_for` for the length of
one portal request when a staff member views a customer's portal; `core.roles.may` then
answers the customer's portal actions from the staff member's own role (`ACTING_ACTIONS`),
and `core.audit.audit_record` files every entry under both identities. A context variable,
like `core.audit.current_ip`, so that services keep taking only `actor`."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied


@dataclass(frozen=True)
class ActingFor:
    user_id: int  # the staff member acting
    tenant_id: int
    customer_id: int  # the customer acted for
    customer_label: str  # kept as text in audit entries, as `actor_label` is

    def applies(self, *, user_id: int | None, tenant_id: int, customer_id: int | None) -> bool:
        return (
            self.user_id == user_id
            and self.tenant_id == tenant_id
            and (customer_id is None or self.customer_id == customer_id)
        )


acting_for: contextvars.ContextVar[ActingFor | None] = contextvars.ContextVar(
    "acting_for", default=None
)


@contextmanager
def acting(value: ActingFor) -> Iterator[ActingFor]:
    token = acting_for.set(value)
    try:
        yield value
    finally:
        acting_for.reset(token)


def acting_applies(actor, *, tenant_id: int, customer_id: int) -> bool:
    """Is `actor` a staff member acting for this customer right now (not one of its contacts)?"""
    current = acting_for.get()
    return current is not None and current.applies(
        user_id=getattr(actor, "pk", None), tenant_id=tenant_id, customer_id=customer_id
    )


class ActingRefused(PermissionDenied):
    """Refused because a staff member acts for the customer: something only the customer may
    do themselves. `code` says what (contracts.acting.ACTING_REFUSALS words it for the staff
    member and the audit log records it), so each refusal is explained by its own reason."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
