from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from portal.celery import ensure_broker_folders


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Customer portal")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Web, worker and beat all need the filesystem broker's folders (a no-op on Redis).
        ensure_broker_folders()

        from portal import account_audit  # deferred: it imports models, ready only now

        account_audit.connect()
