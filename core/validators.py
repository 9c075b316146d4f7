import re
import zoneinfo
from string import Formatter

from babel.numbers import list_currencies
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_CURRENCIES = frozenset(list_currencies())


def validate_currency(value: str) -> None:
    if value not in _CURRENCIES:
        raise ValidationError(
            _("%(value)s is not an ISO 4217 currency code."),
            params={"value": value},
            code="currency",
        )


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not a known time zone."), params={"value": value}, code="timezone"
        )


# The column a document number is stored in (Invoice.number, CreditNote.number), and the largest
# value of its counter (NumberSequence.next_number, a PositiveIntegerField): together they bound
# what a number format may produce.
DOCUMENT_NUMBER_MAX_LENGTH = 64
NUMBER_COUNTER_MAX = 2**31 - 1
_LARGEST_YEAR = 9999


def validate_number_format(value: str) -> None:
    """A document number pattern such as INV-{year}-{number:06d}: only {year} and {number}, each
    with at most a format spec, and {number} present, and no number it can produce longer than
    the column holds — or numbering would fail at the worst moment (finalizing an invoice), and
    go on failing for every document of the business."""
    message = _("Use only the placeholders {year} and {number}, e.g. INV-{year}-{number:06d}.")
    try:
        parsed = list(Formatter().parse(value))
        fields = [name for _text, name, _spec, _conv in parsed if name is not None]
        if any(name not in ("year", "number") for name in fields):
            raise ValueError(fields)
        # A spec is checked before anything is formatted with it: a nested field or a huge
        # width or precision ({number:{number}d}, {number:.1000000000f}) would build a string
        # of gigabytes.
        # Only what makes sense for a whole number: zero padding, a width, grouping (06d, 4, ,).
        for _text, _name, spec, conversion in parsed:
            if conversion not in (None, "s", "r") or (
                spec and not re.fullmatch(r"0?\d{0,2}[,_]?d?", spec)
            ):
                raise ValueError(spec)
        value.format(year=2026, number=1)
        longest = max(
            len(value.format(year=year, number=number))
            for year in (1, _LARGEST_YEAR)
            for number in (1, NUMBER_COUNTER_MAX)
        )
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValidationError(message, code="number_format") from exc
    if "number" not in fields:
        raise ValidationError(_("The format must contain {number}."), code="number_format")
    if longest > DOCUMENT_NUMBER_MAX_LENGTH:
        raise ValidationError(
            _("Numbers in this format could run to %(length)d characters; at most %(max)d fit."),
            params={"length": longest, "max": DOCUMENT_NUMBER_MAX_LENGTH},
            code="number_format",
        )


# EU VAT identification numbers (and the UK's and Switzerland's), by country prefix. Format only:
# whether a number is registered is VIES's business, not ours.
VAT_ID_FORMATS = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[A-Z0-9]\d{7}[A-Z0-9]",
    "FI": r"\d{8}",
    "FR": r"[A-HJ-NP-Z0-9]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W]",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"\d{2,10}",
    "SE": r"\d{12}",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
    "XI": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
    "GB": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
    "CH": r"E\d{9}(MWST|TVA|IVA)?",
}
_VAT_PATTERNS = {cc: re.compile(rf"(?:{rx})") for cc, rx in VAT_ID_FORMATS.items()}


# Reverse charge (Directive 2006/112/EC art. 196) is for business customers in *another* EU
# member state; Northern Ireland (XI) takes part for goods. Greece's VAT prefix is EL.
EU_VAT_PREFIXES = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "EL",
        "ES",
        "FI",
        "FR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "XI",
    }
)
VAT_PREFIX_COUNTRY = {"EL": "GR", "XI": "GB"}


def vat_id_country(vat_id: str) -> str:
    prefix = normalize_vat_id(vat_id)[:2]
    return VAT_PREFIX_COUNTRY.get(prefix, prefix)


def normalize_vat_id(value: str) -> str:
    """DE 123.456-789 → DE123456789."""
    return re.sub(r"[\s.\-/]", "", value or "").upper()


def validate_vat_id(value: str) -> None:
    if not value:
        return
    vat_id = normalize_vat_id(value)
    pattern = _VAT_PATTERNS.get(vat_id[:2])
    if pattern is None or not pattern.fullmatch(vat_id[2:]):
        raise ValidationError(
            _("%(value)s is not a valid VAT number (expected e.g. DE123456789)."),
            params={"value": value},
            code="vat_id",
        )


def validate_reminder_days(value) -> None:
    """Payment reminder steps: whole days from the due date, negative before it."""
    if (
        not isinstance(value, list)
        or len(value) > 10
        or not all(
            isinstance(day, int) and not isinstance(day, bool) and -60 <= day <= 365
            for day in value
        )
    ):
        raise ValidationError(
            _("Enter up to 10 whole numbers of days between -60 and 365, e.g. [-3, 3, 10].")
        )
