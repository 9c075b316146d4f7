"""Celery entry points of contracts: the portal-link e-mail."""

from celery import shared_task


@shared_task(name="contracts.tasks.send_portal_link", acks_late=True)
def send_portal_link(contact_id: int, nonce: str) -> bool:
    """E-mail one contact the portal link with this nonce (a retry sends the same link)."""
    from contracts.emails import send_portal_link_email

    return send_portal_link_email(contact_id, nonce)
