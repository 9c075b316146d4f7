"""`make run`'s terminal: with the demo's outbox, each e-mail the demo sends is one line (to,
subject) instead of the whole message with its base64 PDFs, and the logins come last."""

import io
import re

import pytest
from django.core.management import call_command

from core.outbox import outbox_entries, outbox_message, outbox_names

pytestmark = pytest.mark.django_db(transaction=True)  # e-mails go out after commit

BASE64_LINE = re.compile(r"^[A-Za-z0-9+/=]{40,}$")


def test_seeding_the_demo_prints_one_line_per_email_and_the_logins_last(
    settings, tmp_path, capfd, eager_tasks
):
    settings.KONTOR_DEMO_OUTBOX = True
    settings.KONTOR_OUTBOX_DIR = tmp_path / "outbox"
    settings.EMAIL_BACKEND = "core.outbox.OutboxEmailBackend"
    stdout = io.StringIO()

    call_command("seed_demo", nestpay_simulator="", stdout=stdout)

    terminal = capfd.readouterr()
    names = outbox_names()
    assert len(names) > 10  # invoices, receipts, quotes… (64 when this test was written)
    lines = [
        *terminal.out.splitlines(),
        *terminal.err.splitlines(),
        *stdout.getvalue().splitlines(),
    ]
    mail_lines = [line for line in lines if line.startswith("Outbox: e-mail to ")]
    assert len(mail_lines) == len(names)
    expected = []
    for entry in outbox_entries(names):
        message = outbox_message(entry.name)
        to = ", ".join(filter(None, [entry.to, message.cc, message.bcc]))
        expected.append(f"Outbox: e-mail to {to}: {' '.join(entry.subject.split())}")
    assert sorted(mail_lines) == sorted(expected)
    assert not [line for line in lines if BASE64_LINE.match(line.strip())]
    assert not any("Content-Transfer-Encoding" in line for line in lines)
    # What the seed itself prints (make run shows it last) holds the logins and no e-mail.
    printed = stdout.getvalue()
    assert "Outbox:" not in printed
    assert "customer1@acme.test" in printed and "kontor-demo" in printed
    assert printed.rstrip().splitlines()[-1].endswith("/outbox/")
