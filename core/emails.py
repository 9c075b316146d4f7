"""E-mails from templates: `<prefix>_subject.txt`, `<prefix>.txt` and `<prefix>.html`, rendered in
the recipient's language, sent as text with an HTML alternative."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from core.models import Tenant


def send_templated(
    *, prefix: str, to: list[str], context: dict, language: str, tenant: Tenant
) -> None:
    if to:
        templated_message(
            prefix=prefix, to=to, context=context, language=language, tenant=tenant
        ).send()


def templated_message(
    *, prefix: str, to: list[str], context: dict, language: str, tenant: Tenant
) -> EmailMultiAlternatives:
    """The e-mail from the business (its name, our sending address), not yet sent."""
    context = {**context, "tenant": tenant}
    with translation.override(language):
        subject = " ".join(render_to_string(f"{prefix}_subject.txt", context).split())
        text = render_to_string(f"{prefix}.txt", context)
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
