"""The demo's outbox: every e-mail kept as one `.eml` file under `data/outbox/`, one line per
e-mail on the terminal, and the reading side of the outbox pages.

For development and the demo only (`KONTOR_DEMO_OUTBOX`): whoever reaches the bare host then
reads every e-mail, sign-in codes and password resets included.
"""

from __future__ import annotations

import os
import re
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.core import checks
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage as DjangoEmailMessage

# `20261130-052712-123456-1a2b3c4d.eml`: sorting the names sorts the e-mails by when they were
# sent, and nothing else (no path, no dot-dot) is ever read.
MESSAGE_NAME = re.compile(r"^\d{8}-\d{6}-\d{6}-[0-9a-f]{8}\.eml$")


class OutboxMessageMissing(LookupError):
    """No e-mail of that name (or not a name the outbox gives): the pages answer 404."""


def outbox_dir() -> Path:
    return Path(settings.KONTOR_OUTBOX_DIR)


@checks.register(checks.Tags.security, deploy=True)
def demo_outbox_off(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`manage.py check --deploy` warns of an outbox left on: it shows every e-mail to anyone."""
    if not settings.KONTOR_DEMO_OUTBOX:
        return []
    return [
        checks.Warning(
            "KONTOR_DEMO_OUTBOX is on: every e-mail sent (sign-in codes, password resets) is "
            "readable by anyone at the bare host's /outbox/.",
            hint="Set KONTOR_DEMO_OUTBOX=false and EMAIL_URL outside development and demos.",
            id="kontor.W001",
        )
    ]


class OutboxEmailBackend(BaseEmailBackend):
    """Stores each e-mail in the outbox and writes one line (recipients, subject) to the
    terminal, where the console backend printed the whole message, base64 PDFs and all."""

    def __init__(self, *, fail_silently: bool = False, stream: TextIO | None = None, **kwargs):
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.stream = stream

    def send_messages(self, email_messages: Sequence[DjangoEmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            try:
                _store(message)
            except OSError:
                if not self.fail_silently:
                    raise
                continue
            self._note(message)
            sent += 1
        return sent

    def _note(self, message: DjangoEmailMessage) -> None:
        # Celery's worker swaps sys.stderr for a logger at WARNING level; the process's own
        # stderr is still the developer's terminal, where a plain line belongs.
        stream = self.stream or sys.__stderr__ or sys.stderr
        line = outbox_line(message)
        try:
            stream.write(line + "\n")
        except UnicodeEncodeError:  # a terminal that cannot show the subject's letters
            stream.write(line.encode("ascii", "backslashreplace").decode("ascii") + "\n")
        stream.flush()


def outbox_line(message: DjangoEmailMessage) -> str:
    """`Outbox: e-mail to a@example.test, b@example.test: [Acme] Invoice 2026-000001`."""
    recipients = ", ".join([*message.to, *message.cc, *message.bcc])
    subject = " ".join(str(message.subject).split())
    return f"Outbox: e-mail to {recipients}: {subject}"


def _store(message: DjangoEmailMessage) -> str:
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{datetime.now(UTC):%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:8]}.eml"
    mime = message.message()
    if message.bcc:
        # Not a header a mail server would see; here it shows who else was sent the e-mail.
        mime["Bcc"] = ", ".join(message.bcc)
    partial = folder / f".{name}.partial"
    partial.write_bytes(mime.as_bytes(linesep="\n"))
    # Renamed once complete: the list never shows half an e-mail.
    os.replace(partial, folder / name)
    return name


@dataclass(frozen=True)
class OutboxEntry:
    name: str
    sent_at: datetime | None
    sender: str
    to: str
    subject: str


@dataclass(frozen=True)
class OutboxAttachment:
    number: int  # 1-based, in the order of the message's parts
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class OutboxMessage:
    entry: OutboxEntry
    cc: str
    bcc: str
    text: str | None
    html: str | None
    attachments: list[OutboxAttachment]


def outbox_names() -> list[str]:
    """Every stored e-mail's name, the newest first."""
    try:
        names = [n for n in os.listdir(outbox_dir()) if MESSAGE_NAME.match(n)]
    except FileNotFoundError:
        return []
    return sorted(names, reverse=True)


def outbox_entries(names: Sequence[str]) -> list[OutboxEntry]:
    """The headers of these e-mails (one page of the list), without reading their bodies."""
    entries = []
    parser = BytesHeaderParser(policy=policy.default)
    for name in names:
        try:
            with open(_path(name), "rb") as handle:
                headers = parser.parse(handle)
        except (OutboxMessageMissing, FileNotFoundError):
            continue  # removed meanwhile
        entries.append(_entry(name, headers))
    return entries


def outbox_message(name: str) -> OutboxMessage:
    message = _parse(name)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    attachments = [
        OutboxAttachment(
            number=number,
            filename=_filename(part, number),
            content_type=part.get_content_type(),
            size=len(part.get_payload(decode=True) or b""),
        )
        for number, part in enumerate(_attachment_parts(message, text_part, html_part), start=1)
    ]
    return OutboxMessage(
        entry=_entry(name, message),
        cc=str(message.get("Cc", "")),
        bcc=str(message.get("Bcc", "")),
        text=text_part.get_content() if text_part is not None else None,
        html=html_part.get_content() if html_part is not None else None,
        attachments=attachments,
    )


def outbox_attachment(name: str, number: int) -> tuple[OutboxAttachment, bytes]:
    """The attachment numbered `number` (as `outbox_message` lists them) and its bytes."""
    message = _parse(name)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    parts = _attachment_parts(message, text_part, html_part)
    if not 1 <= number <= len(parts):
        raise OutboxMessageMissing(f"{name} has no attachment {number}")
    part = parts[number - 1]
    content = part.get_payload(decode=True) or b""
    attachment = OutboxAttachment(
        number=number,
        filename=_filename(part, number),
        content_type=part.get_content_type(),
        size=len(content),
    )
    return attachment, content


def _path(name: str) -> Path:
    if not MESSAGE_NAME.match(name):
        raise OutboxMessageMissing(name)
    return outbox_dir() / name


def _parse(name: str) -> EmailMessage:
    try:
        with open(_path(name), "rb") as handle:
            return BytesParser(policy=policy.default).parse(handle)
    except FileNotFoundError as exc:
        raise OutboxMessageMissing(name) from exc


def _entry(name: str, headers) -> OutboxEntry:
    try:
        sent_at = parsedate_to_datetime(str(headers["Date"])) if headers["Date"] else None
    except (TypeError, ValueError):
        sent_at = None
    if sent_at is not None and sent_at.tzinfo is None:
        # Django writes "-0000" (UTC, RFC 5322's "no zone information") unless told otherwise.
        sent_at = sent_at.replace(tzinfo=UTC)
    return OutboxEntry(
        name=name,
        sent_at=sent_at,
        sender=str(headers.get("From", "")),
        to=str(headers.get("To", "")),
        subject=str(headers.get("Subject", "")),
    )


def _attachment_parts(message: EmailMessage, *bodies) -> list[EmailMessage]:
    """Every leaf part that is not the text or HTML body shown: PDFs, XML, calendar files…"""
    return [
        part
        for part in message.walk()
        if not part.is_multipart() and all(part is not body for body in bodies)
    ]


def _filename(part: EmailMessage, number: int) -> str:
    name = part.get_filename()
    if name:
        # Only the last path segment: a sender may put anything in the header.
        name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name or f"attachment-{number}"
