from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    """Invoices, credit notes, payments and gateways (issues: invoicing engine, payments)."""

    name = "billing"
    verbose_name = _("Billing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Deferred: models load only once the app registry is ready. The documents floor may
        # not import payments (above it), so payments' answer is handed down here.
        from billing.documents import emails  # deferred: as above
        from billing.payments.gateways import gateway_for  # deferred: as above

        emails.pay_link_offered = lambda tenant: gateway_for(tenant).pays_at_bank
