"""The demo's outbox backend: each e-mail one .eml file under the outbox folder, one line on the
terminal, and read back (headers, text and HTML parts, attachments) by name only."""

import io
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from core.outbox import (
    OutboxEmailBackend,
    OutboxMessageMissing,
    demo_outbox_off,
    outbox_attachment,
    outbox_entries,
    outbox_message,
    outbox_names,
)

CONSOLE = "django.core.mail.backends.console.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


@pytest.fixture
def outbox(settings, tmp_path):
    settings.KONTOR_OUTBOX_DIR = tmp_path / "outbox"
    return settings.KONTOR_OUTBOX_DIR


def invoice_mail(
    to="customer1@acme.test", subject="[Acme] Invoice 2026-000001"
) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=subject,
        body="Your invoice is attached.\nPay it here: https://acme.localhost/l/i/abc/\n",
        from_email="Acme <billing@localhost>",
        to=[to],
        cc=["books@acme.test"],
        bcc=["archive@acme.test"],
    )
    message.attach_alternative(
        "<html><head><title>x</title></head><body><p>Your <b>invoice</b></p></body></html>",
        "text/html",
    )
    message.attach("Invoice 2026-000001.pdf", PDF, "application/pdf")
    message.attach("factur-x.xml", b"<Invoice/>", "application/xml")
    return message


def test_it_stores_each_message_and_writes_one_line_per_message(outbox):
    stream = io.StringIO()
    backend = OutboxEmailBackend(stream=stream)
    sent = backend.send_messages(
        [invoice_mail(), invoice_mail(to="customer2@acme.test", subject="Türkçe fatura")]
    )
    assert sent == 2
    assert len(list(outbox.glob("*.eml"))) == 2
    assert not list(outbox.glob(".*"))  # no half-written file left behind
    lines = stream.getvalue().splitlines()
    also = "books@acme.test, archive@acme.test"
    assert lines == [
        f"Outbox: e-mail to customer1@acme.test, {also}: [Acme] Invoice 2026-000001",
        f"Outbox: e-mail to customer2@acme.test, {also}: Türkçe fatura",
    ]


def test_a_message_without_recipients_is_not_stored(outbox):
    stream = io.StringIO()
    message = EmailMultiAlternatives(subject="Nobody", body="x", to=[])
    assert OutboxEmailBackend(stream=stream).send_messages([message]) == 0
    assert outbox_names() == [] and stream.getvalue() == ""


def test_send_mail_through_the_setting_reaches_the_outbox(outbox, settings, capfd):
    settings.EMAIL_BACKEND = "core.outbox.OutboxEmailBackend"
    mail.send_mail(
        "Your sign-in code", "Code: 123456", "Kontor <billing@localhost>", ["a@acme.test"]
    )
    [name] = outbox_names()
    assert outbox_message(name).text.strip() == "Code: 123456"
    assert capfd.readouterr().err == "Outbox: e-mail to a@acme.test: Your sign-in code\n"


def test_it_lists_the_newest_first_with_date_from_to_and_subject(outbox):
    backend = OutboxEmailBackend(stream=io.StringIO())
    backend.send_messages([invoice_mail(subject="first")])
    backend.send_messages([invoice_mail(subject="second")])
    entries = outbox_entries(outbox_names())
    assert [e.subject for e in entries] == ["second", "first"]
    assert entries[0].sender == "Acme <billing@localhost>"
    assert entries[0].to == "customer1@acme.test"
    assert entries[0].sent_at is not None and entries[0].sent_at.tzinfo is not None


def test_it_reads_the_text_and_html_parts_and_the_attachments(outbox):
    OutboxEmailBackend(stream=io.StringIO()).send_messages([invoice_mail()])
    [name] = outbox_names()
    message = outbox_message(name)
    assert "Pay it here" in message.text
    assert "<b>invoice</b>" in message.html
    assert message.cc == "books@acme.test" and message.bcc == "archive@acme.test"
    assert [(a.number, a.filename, a.content_type, a.size) for a in message.attachments] == [
        (1, "Invoice 2026-000001.pdf", "application/pdf", len(PDF)),
        (2, "factur-x.xml", "application/xml", len(b"<Invoice/>")),
    ]
    attachment, content = outbox_attachment(name, 1)
    assert content == PDF and attachment.filename == "Invoice 2026-000001.pdf"


@pytest.mark.parametrize(
    "name",
    [
        "../settings.py",
        "20261130-052712-123456-1a2b3c4d.eml",
        "x.eml",
        ".20261130-052712-123456-1a2b3c4d.eml.partial",
    ],
)
def test_only_a_stored_messages_name_is_read(outbox, name):
    OutboxEmailBackend(stream=io.StringIO()).send_messages([invoice_mail()])
    with pytest.raises(OutboxMessageMissing):
        outbox_message(name)


@pytest.mark.parametrize("number", [0, 3, 99])
def test_an_attachment_number_out_of_range_is_missing(outbox, number):
    OutboxEmailBackend(stream=io.StringIO()).send_messages([invoice_mail()])
    [name] = outbox_names()
    with pytest.raises(OutboxMessageMissing):
        outbox_attachment(name, number)


def test_an_empty_or_absent_outbox_lists_nothing(outbox):
    assert outbox_names() == []


def _settings_say(tmp_path, **env) -> str:
    code = "import portal.settings as s; print(s.EMAIL_BACKEND, s.KONTOR_DEMO_OUTBOX)"
    result = subprocess.run(  # noqa: S603 — our own interpreter, fixed arguments
        [sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin", "KONTOR_DATA_DIR": str(tmp_path), **env},
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"DEBUG": "true"}, "core.outbox.OutboxEmailBackend True"),
        ({"DEBUG": "true", "KONTOR_DEMO_OUTBOX": "false"}, f"{CONSOLE} False"),
        ({"DEBUG": "false", "SECRET_KEY": "x" * 60}, f"{CONSOLE} False"),
        ({"DEBUG": "true", "EMAIL_URL": "smtp://mail.example.test:25"}, f"{SMTP} True"),
    ],
)
def test_make_runs_development_settings_send_to_the_outbox_and_production_does_not(
    tmp_path, env, said
):
    assert _settings_say(tmp_path, **env) == said


def test_the_deploy_check_warns_of_an_outbox_left_on(settings):
    settings.KONTOR_DEMO_OUTBOX = True
    assert [m.id for m in demo_outbox_off()] == ["kontor.W001"]
    settings.KONTOR_DEMO_OUTBOX = False
    assert demo_outbox_off() == []
