"""Audit entries for what people do to their own login through allauth's pages: sign-in,
password, e-mail addresses, second factors. allauth announces these only by signals, so this is
the one place Kontor listens to signals — to record, never to change state."""

from __future__ import annotations

from typing import Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals

from core.audit import audit_record


def _record(action: str, request: Any, user: Any, after: dict | None = None) -> None:
    tenant = getattr(request, "tenant", None)
    if tenant is None or user is None:
        return  # the platform host has no tenant to file the entry under
    audit_record(tenant=tenant, actor=user, action=action, obj=user, after=after)


def _on(action: str, detail=None):
    def receiver(sender, request=None, user=None, **kwargs) -> None:
        if user is None and kwargs.get("email_address") is not None:
            user = kwargs["email_address"].user  # email_confirmed names only the address
        _record(action, request, user, detail(kwargs) if detail else None)

    receiver.__name__ = f"audit_{action.replace('.', '_')}"
    return receiver


def _address(kwargs: dict) -> dict:
    address = kwargs.get("email_address") or kwargs.get("to_email_address")
    return {"email": address.email} if address is not None else {}


def _authenticator(kwargs: dict) -> dict:
    return {"type": kwargs["authenticator"].type}


RECEIVERS = [
    (account_signals.user_logged_in, _on("account.login")),
    (account_signals.password_changed, _on("account.password_change")),
    (account_signals.password_set, _on("account.password_set")),
    (account_signals.password_reset, _on("account.password_reset")),
    (account_signals.email_added, _on("account.email_add", _address)),
    (account_signals.email_removed, _on("account.email_remove", _address)),
    (account_signals.email_changed, _on("account.email_change", _address)),
    (account_signals.email_confirmed, _on("account.email_confirm", _address)),
    (mfa_signals.authenticator_added, _on("account.mfa_add", _authenticator)),
    (mfa_signals.authenticator_removed, _on("account.mfa_remove", _authenticator)),
    (mfa_signals.authenticator_reset, _on("account.mfa_reset", _authenticator)),
]


def connect() -> None:
    for signal, receiver in RECEIVERS:
        signal.connect(receiver, dispatch_uid=receiver.__name__)
