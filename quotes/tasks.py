"""Celery entry points of quotes: the e-mail and PDF of a sent quote, the approved copy of its
PDF, and the daily expiry of quotes past their validity."""

from celery import shared_task

from core.jobs import each_business_on_its_day
from core.roles import SYSTEM
from quotes.emails import send_quote_sent
from quotes.models import Quote
from quotes.pdf import quote_approved_pdf


@shared_task(name="quotes.tasks.send_quote_email", acks_late=True)
def send_quote_email(quote_id: int) -> bool:
    """Store the sent quote's PDF and e-mail it to the customer, once (safe to retry)."""
    return send_quote_sent(quote_id)


@shared_task(name="quotes.tasks.store_approved_pdf", acks_late=True)
def store_approved_pdf(quote_id: int) -> bool:
    """Store the approved copy of a quote's PDF (with who approved it, when and where)."""
    quote = Quote.objects.select_related("tenant", "customer").get(pk=quote_id)
    return bool(quote_approved_pdf(quote).approved_pdf)


@shared_task(name="quotes.tasks.expire_quotes", acks_late=True)
def expire_quotes() -> int:
    """Daily: quotes past their validity expire, on each business's own calendar day."""
    from quotes.lifecycle import quotes_expire_due

    return each_business_on_its_day(
        lambda tenant, today: quotes_expire_due(tenant=tenant, today=today, actor=SYSTEM)
    )


@shared_task(name="quotes.tasks.send_quote_request_email", acks_late=True)
def send_quote_request_email(request_id: int) -> bool:
    """Tell the business's staff about a customer's quote request, once."""
    from quotes.requests import send_quote_request_notice

    return send_quote_request_notice(request_id)
