"""The password-reset key generator, reached only through ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR.

allauth.account.forms builds its generator from that setting while it is itself being imported,
so the class lives here, in a module nothing else imports: were it in portal.accounts, whichever
of the two Django's checks happened to import first (their order varies from run to run) would
find the other half-loaded.
"""

from __future__ import annotations

from allauth.account.forms import EmailAwarePasswordResetTokenGenerator
from allauth.core import context as allauth_context

from core.roles import may_log_in


class TenantPasswordResetTokenGenerator(EmailAwarePasswordResetTokenGenerator):
    """A reset key works only on a host where its person may log in: one mailed by a business
    is no key on the bare platform host, nor on another business's host."""

    def check_token(self, user, token) -> bool:
        request = allauth_context.request
        tenant = getattr(request, "tenant", None) if request is not None else None
        return may_log_in(user, tenant) and super().check_token(user, token)
