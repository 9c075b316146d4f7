"""Each address once per event: send_each_once mails only the addresses not marked for its key,
marks those that went out, and collects a failure without stopping the others."""

import smtplib

import pytest

from core.emails import mark_sent, send_each_once, sent_already

pytestmark = pytest.mark.django_db


def test_an_address_is_marked_once_per_key_however_it_is_spelled():
    mark_sent("event:1", ["Ann@Example.test"])
    mark_sent("event:1", ["ann@example.test"])  # marked already: no error
    assert sent_already("event:1", ["ANN@example.test", "bob@example.test"]) == {"ann@example.test"}
    assert sent_already("event:2", ["ann@example.test"]) == set()


def test_a_failure_spares_the_others_and_only_the_missing_are_sent_next_time():
    sent: list[list[str]] = []

    def ok(to: list[str]) -> None:
        sent.append(to)

    def refused(to: list[str]) -> None:
        raise smtplib.SMTPRecipientsRefused({to[0]: (451, b"later")})

    report = send_each_once("event:1", [(["a@x.test"], refused), (["b@x.test", "c@x.test"], ok)])
    assert report.sent == 1 and len(report.failures) == 1
    with pytest.raises(smtplib.SMTPException):
        report.raise_failure()
    mark_sent("event:1", [])  # nothing to mark: no error
    report = send_each_once("event:1", [(["a@x.test"], ok), (["b@x.test", "d@x.test"], ok)])
    assert sent == [["b@x.test", "c@x.test"], ["a@x.test"], ["d@x.test"]]
    assert report.sent == 2 and report.failures == []
    report.raise_failure()  # nothing to raise
