"""E-mails from templates: `<prefix>_subject.txt`, `<prefix>.txt` and `<prefix>.html`, rendered in
the recipient's language, sent as text with an HTML alternative."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation

from core.models import SentEmail, Tenant


def send_templated(
    *, prefix: str, to: list[str], context: dict, language: str, tenant: Tenant
) -> None:
    if to:
        templated_message(
            prefix=prefix, to=to, context=context, language=language, tenant=tenant
        ).send()


def _plain_text(name: str, context: dict) -> str:
    """A subject or text body: plain text, never HTML-escaped, so that a name like "Service
    d'assistance" or "Smith & Sons" reads as written (not "d&#x27;assistance")."""
    return get_template(name).template.render(Context(context, autoescape=False))


def templated_message(
    *, prefix: str, to: list[str], context: dict, language: str, tenant: Tenant
) -> EmailMultiAlternatives:
    """The e-mail from the business (its name, our sending address), not yet sent."""
    context = {**context, "tenant": tenant}
    with translation.override(language):
        subject = " ".join(_plain_text(f"{prefix}_subject.txt", context).split())
        text = _plain_text(f"{prefix}.txt", context)
        html = render_to_string(f"{prefix}.html", context)
    address = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip()
    message = EmailMultiAlternatives(
        subject=f"[{tenant.name}] {subject}",
        body=text,
        from_email=f"{tenant.name} <{address}>",
        to=to,
    )
    message.attach_alternative(html, "text/html")
    return message


def sent_already(key: str, addresses: Iterable[str]) -> set[str]:
    """Which of these addresses (lower-cased) were mailed for `key` already."""
    wanted = {address.lower() for address in addresses}
    return set(
        SentEmail.objects.filter(key=key, address__in=wanted).values_list("address", flat=True)
    )


def mark_sent(key: str, addresses: Iterable[str]) -> None:
    SentEmail.objects.bulk_create(
        [SentEmail(key=key, address=address.lower()) for address in addresses],
        ignore_conflicts=True,  # marked already: one mark is all it takes
    )


@dataclass
class SendReport:
    sent: int = 0  # messages that went out this time
    failures: list[Exception] = field(default_factory=list)

    def raise_failure(self) -> None:
        """Raise the first failure, if any: called once the marks are committed, so the task
        is retried (autoretry) and mails only the addresses still missing."""
        if self.failures:
            raise self.failures[0]


def send_each_once(
    key: str, messages: Iterable[tuple[list[str], Callable[[list[str]], None]]]
) -> SendReport:
    """Send each message (its addresses, and a function that sends it to the addresses given)
    to the addresses not yet mailed for `key`, and mark them. One that fails is collected, not
    raised: it neither stops the others nor, once the caller commits, unmarks them. The
    caller, in its transaction, records the event as done only when there are no failures,
    and calls `raise_failure()` after commit."""
    report = SendReport()
    for addresses, send in messages:
        done = sent_already(key, addresses)
        missing = [address for address in addresses if address.lower() not in done]
        if not missing:
            continue
        try:
            send(missing)
        except Exception as failure:  # any recipient's trouble, SMTP or not, spares the others
            logging.getLogger(__name__).warning("%s: mail to %s failed: %r", key, missing, failure)
            report.failures.append(failure)
            continue
        mark_sent(key, missing)
        report.sent += 1
    return report
