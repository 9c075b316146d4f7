from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Business and staff")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Judged before the process loads any translation: one compiled later, under a running
        # process, would not reach Django's per-process catalogues (see core/i18n.py).
        from core.i18n import catalogues_missing_at_start

        catalogues_missing_at_start()
        # Once the apps are ready (it reads the models): every write bumps the versions of
        # the cached portal pages it touches.
        from core.page_versions import install

        install()
        # Registers the deploy check that warns of the demo's outbox left on.
        import core.outbox  # noqa: F401
