import logging
import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_process_init, worker_ready
from django.conf import settings

from core.i18n import CataloguesMissing, catalogues_missing_at_start

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

logger = logging.getLogger(__name__)

app = Celery("kontor")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Billing keeps a tasks module in each of its sub-packages; the other apps keep one each.
BILLING_TASK_PACKAGES = [
    "billing.documents",
    "billing.run",
    "billing.payments",
    "billing.collections",
    "billing.ordering",
]
app.autodiscover_tasks(lambda: [*settings.INSTALLED_APPS, *BILLING_TASK_PACKAGES])


@worker_process_init.connect
def _warm_up_pdfs(**kwargs) -> None:
    """Import WeasyPrint and load fonts once per worker process, not on the first invoice."""
    # deferred: this module is loaded with the settings, before any app or model can be
    # imported (billing.documents.pdf imports models).
    from billing.documents.pdf import warm_up

    warm_up()


@worker_process_init.connect
def _check_catalogues(**kwargs) -> None:
    """Say at start, not at the first invoice, that this worker will refuse to finalize."""
    missing = catalogues_missing_at_start()
    if missing:
        logger.error("%s", CataloguesMissing(list(missing)))


@worker_ready.connect
def _beat_once_at_start(**kwargs) -> None:
    """/healthz shows a worker at once, not only after beat's first minute."""
    from core.tasks import heartbeat  # deferred: as above

    heartbeat()


def ensure_broker_folders() -> None:
    """The filesystem transport needs its folders before a worker or producer starts."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
