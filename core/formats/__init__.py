"""How each language writes dates, times, numbers and money: one convention per language.

Django reads these modules (settings.FORMAT_MODULE_PATH) for `{{ value }}`, `|date`, `|time`,
`|floatformat` and the back office; `core.dates` and the `document_date` filter format documents
and e-mails through the same formats; money goes through Babel (`core.money`, the `money` filter),
whose separators these modules repeat, so an amount and a number beside it agree. Every page,
e-mail and PDF of a language therefore writes 29 November 2026 the same way.

| language | date (DATE_FORMAT) | short date | date-time (DATETIME_FORMAT) | number      |
| -------- | ------------------ | ---------- | --------------------------- | ----------- |
| en       | 29 Nov 2026        | 29/11/2026 | 29 Nov 2026, 14:05          | 1,234,567.5 |
| fr       | 29 novembre 2026   | 29/11/2026 | 29 novembre 2026, 14:05     | 1 234 567,5 |
| de       | 29.11.2026         | 29.11.2026 | 29.11.2026, 14:05           | 1.234.567,5 |
| it       | 29 nov 2026        | 29/11/2026 | 29 nov 2026, 14:05          | 1.234.567,5 |
| tr       | 29 Kas 2026        | 29.11.2026 | 29 Kas 2026 14:05           | 1.234.567,5 |

| language | money (1234.5 EUR) | short date-time   | time  | month heading (YEAR_MONTH) |
| -------- | ------------------ | ----------------- | ----- | -------------------------- |
| en       | €1,234.50          | 29/11/2026, 14:05 | 14:05 | November 2026              |
| fr       | 1 234,50 €         | 29/11/2026 14:05  | 14:05 | novembre 2026              |
| de       | 1.234,50 €         | 29.11.2026, 14:05 | 14:05 | November 2026              |
| it       | 1.234,50 €         | 29/11/2026, 14:05 | 14:05 | Novembre 2026              |
| tr       | €1.234,50          | 29.11.2026 14:05  | 14:05 | Kasım 2026                 |

French groups digits with CLDR's narrow no-break space (U+202F) and puts a no-break space
(U+00A0) before "€"; the short date is SHORT_DATE_FORMAT, the short date-time
SHORT_DATETIME_FORMAT.

Where each comes from (CLDR, as Babel ships it): the date is CLDR's medium date, except French,
which takes CLDR's long date: Django's French abbreviations ("jan.", "fév.") are not CLDR's
("janv.", "févr."), and the full month is never wrong. English follows British usage (day,
month, year; en_GB): Kontor's businesses are European and "11/29/2026" reads as nonsense to most
of their customers; Django's "Sep" stands for CLDR's "Sept". The short date is CLDR's yMMdd
skeleton, for narrow columns (a line's service period, a statement's rows); Turkish keeps its
zeros (01.01.2026) where CLDR's match of that skeleton drops them (1.1.2026). A date-time is the
date, CLDR's glue for that date length (", " or " ") and the 24-hour time, without seconds. The
month heads a month's rows; Italian capitalises it there, as a heading does. Numbers use CLDR's
decimal and group symbols, the ones Babel puts in money.

Grouping is off for bare numbers (settings.USE_THOUSAND_SEPARATOR stays False): templates print
ids into URLs (`/invoices/{{ invoice.pk }}/`), which "1,234" would break. A number a person reads
that may pass 999 is grouped where it is printed: `|quantity` (core.templatetags.kontor) for a
line's quantity or a rate, with the decimals it has, `|floatformat:"g"` otherwise; money is always
grouped, and English money is en_GB's too ("US$1,200.00", where en_US writes "$").

Outside this convention on purpose: machine-readable output, which stays ISO 8601 and plain
decimals: CSV and XLSX exports, e-invoice XML, API responses, `datetime="…"` attributes
(`|date:"c"`). A template names a format (DATE_FORMAT, SHORT_DATE_FORMAT, DATETIME_FORMAT,
SHORT_DATETIME_FORMAT, TIME_FORMAT, YEAR_MONTH_FORMAT) or none, never a pattern of its own
(tests/core/test_formats.py reads every template for one).

Which language a page, an e-mail or a document is in: `core.middleware.TenantLocaleMiddleware`.
"""  # noqa: RUF002 (Turkish months have a dotless ı)
