"""allauth's login form with the e-mail address filled in from `?login=` (a document link's
"Go to your portal" without the portal scope leads here). Kept in a module of its own: allauth
loads it by name from ACCOUNT_FORMS, and nothing else should import it (see FIELD-NOTES on
allauth's forms and half-loaded modules)."""

from __future__ import annotations

from allauth.account.forms import LoginForm


class PrefilledLoginForm(LoginForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        request = getattr(self, "request", None)
        if not self.is_bound and request is not None and "login" in self.fields:
            email = request.GET.get("login", "")[:254]
            if email:
                self.initial["login"] = email
