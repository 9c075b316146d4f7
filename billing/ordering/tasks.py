from __future__ import annotations

from celery import shared_task

from billing.ordering.services import checkouts_settle_due


@shared_task(name="billing.tasks.settle_checkouts", acks_late=True)
def settle_checkouts() -> int:
    """Open checkouts paid elsewhere (a webhook) start; those past their time expire."""
    return checkouts_settle_due()
