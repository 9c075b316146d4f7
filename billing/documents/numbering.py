"""Gapless document numbers per tenant and series, assigned only at finalization."""

from __future__ import annotations

import re
from datetime import date
from string import Formatter

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _

from billing.documents.models import CreditNote, Invoice, NumberSequence, NumberSeries
from core.models import Tenant

NUMBERED = {
    NumberSeries.INVOICE: (Invoice,),
    NumberSeries.CREDIT_NOTE: (CreditNote,),
    NumberSeries.TEST: (Invoice, CreditNote),
}


def format_number(pattern: str, *, year: int, number: int) -> str:
    return pattern.format(year=year, number=number)


def invoice_series(tenant: Tenant, *, is_test: bool) -> tuple[str, str]:
    """The series and format an invoice is numbered in: a test account's in the test series,
    so that it never takes (and never leaves a gap in) the legal invoice numbers."""
    if is_test:
        return NumberSeries.TEST, tenant.test_number_format
    return NumberSeries.INVOICE, tenant.invoice_number_format


def credit_note_series(invoice: Invoice) -> tuple[str, str]:
    """A test invoice's credit note is a test document too."""
    if invoice.is_test:
        return NumberSeries.TEST, invoice.tenant.test_number_format
    return NumberSeries.CREDIT_NOTE, invoice.tenant.credit_note_number_format


def _format_regex(pattern: str) -> re.Pattern:
    """What numbers of `pattern` look like: its text, and digits (with padding or grouping)
    where a replacement field prints."""
    parts = []
    for text, name, _spec, _conv in Formatter().parse(pattern):
        parts.append(re.escape(text))
        if name is not None:
            parts.append(r"[0-9 ,_]+")
    return re.compile("".join(parts))


def _issued_count(
    tenant: Tenant, series: str, models_: tuple, issue_date: date, yearly: bool
) -> int:
    """How many numbers the series has already given in its scope. A test account's documents
    were numbered in the legal series before the test series existed and keep those numbers:
    a test document counts for the test series only when its number is in the test format."""
    test_format = _format_regex(tenant.test_number_format)
    count = 0
    for model in models_:
        issued = model.objects.filter(tenant=tenant).exclude(number="")
        if yearly:
            issued = issued.filter(issue_date__year=issue_date.year)
        tests = issued.filter(
            **({"is_test": True} if model is Invoice else {"invoice__is_test": True})
        )
        test_numbers = {
            n for n in tests.values_list("number", flat=True) if test_format.fullmatch(n)
        }
        if series == NumberSeries.TEST:
            count += len(test_numbers)
        else:
            count += issued.values("number").distinct().count() - len(test_numbers)
    return count


def take_numbers(
    *,
    tenant: Tenant,
    series: str,
    pattern: str,
    issue_date: date,
    count: int,
    numbered: type[models.Model] | None = None,
) -> list[str]:
    """The next `count` numbers of the series, under a row lock held until the caller's
    transaction ends: concurrent finalizations queue up, and a rolled-back one gives its
    numbers back — no gaps, no duplicates (UniqueConstraint(tenant, number) behind it).
    `numbered` is the model that carries the series' numbers, for a series of a higher app
    (quotes) that billing cannot import."""
    models_ = (numbered,) if numbered is not None else NUMBERED[series]
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("take numbers inside the transaction that finalizes the documents")
    fields = {name for _text, name, _spec, _conv in Formatter().parse(pattern) if name}
    yearly = "year" in fields and tenant.number_reset_yearly
    period = str(issue_date.year) if yearly else ""
    if not NumberSequence.objects.filter(tenant=tenant, series=series, period=period).exists():
        # A new counter — a new year, or the format or reset rule changed — continues after
        # the documents already numbered in its scope, so it never repeats one of their numbers.
        if numbered is not None:  # a higher app's series (quotes): all its documents count
            issued = numbered.objects.filter(tenant=tenant).exclude(number="")
            if yearly:
                issued = issued.filter(issue_date__year=issue_date.year)
            # Distinct: a quote's revisions share its number.
            already = issued.values("number").distinct().count()
        else:
            already = _issued_count(tenant, series, models_, issue_date, yearly)
        try:
            with transaction.atomic():  # a savepoint: two first-ever takers may race
                NumberSequence.objects.create(
                    tenant=tenant,
                    series=series,
                    period=period,
                    next_number=already + 1,
                )
        except IntegrityError:
            pass  # the other one created it; lock it below
    sequence = NumberSequence.objects.select_for_update().get(
        tenant=tenant, series=series, period=period
    )
    first = sequence.next_number
    sequence.next_number = first + count
    sequence.save(update_fields=["next_number"])
    numbers = [
        format_number(pattern, year=issue_date.year, number=n) for n in range(first, first + count)
    ]
    # A counter set back by hand would repeat numbers: refuse clearly instead of failing on the
    # unique constraint. Numbers already used run gaplessly from 1, so a block that repeats one
    # repeats its first; the ends are checked (the whole block would cost a billing run 10 %).
    ends = {numbers[0], numbers[-1]}
    # Unordered, and with the unique index's own condition (numbers that are not blank): a
    # seek in that index, whatever the planner believes of the table's size (ordered by the
    # model's default, a run at 1,000,000 invoices read the business's every invoice here).
    taken = next(
        (
            found
            for model in models_
            for found in model.objects.filter(tenant=tenant, number__in=ends)
            .exclude(number="")
            .order_by()
            .values_list("number", flat=True)[:1]
        ),
        None,
    )
    if taken is not None:
        raise ValidationError(
            _(
                "The number %(number)s is already used. The number format or its yearly reset "
                "was changed so that numbers would repeat; choose a format that yields new "
                "numbers (e.g. with another prefix)."
            ),
            params={"number": taken},
            code="number_taken",
        )
    return numbers


def take_number(
    *,
    tenant: Tenant,
    series: str,
    pattern: str,
    issue_date: date,
    numbered: type[models.Model] | None = None,
) -> str:
    return take_numbers(
        tenant=tenant,
        series=series,
        pattern=pattern,
        issue_date=issue_date,
        count=1,
        numbered=numbered,
    )[0]
