from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Customers and contracts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Models can only be imported once the app registry is ready, as here.
        from contracts.models import Contact, Customer

        # Beside the models it is given, for the same reason.
        from core.page_versions import register_accounts

        # A customer's rows (invoices, payments…) hang from it; contacts and customers say
        # who may open which account, which contracts.access keeps per person in the cache.
        tables = frozenset({Customer._meta.db_table, Contact._meta.db_table})
        register_accounts(owner_model=Customer, tables=tables)
