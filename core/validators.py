import re
import zoneinfo
from string import Formatter

from babel import Locale
from babel.numbers import list_currencies
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.ch import vat as stdnum_ch_vat
from stdnum.de import stnr as stdnum_de_stnr
from stdnum.eu import vat as stdnum_eu_vat
from stdnum.fr import siren as stdnum_fr_siren
from stdnum.fr import siret as stdnum_fr_siret
from stdnum.gb import vat as stdnum_gb_vat
from stdnum.it import codicefiscale as stdnum_it_codicefiscale
from stdnum.tr import tckimlik as stdnum_tr_tckimlik
from stdnum.tr import vkn as stdnum_tr_vkn

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


# What a replacement field of a number format can print: digits, and the padding and grouping
# its spec asks for ({number:6} pads with spaces, {number:,} groups with commas).
_DIGITS = frozenset("0123456789")


def _number_format_tokens(pattern: str) -> list[str | frozenset]:
    """The format as a sequence: a literal character, or the set of characters a replacement
    field prints one or more of."""
    tokens: list[str | frozenset] = []
    for text, name, spec, _conversion in Formatter().parse(pattern):
        tokens.extend(text)
        if name is not None:
            spec = spec or ""
            extra = {c for c in ",_" if c in spec}
            if re.match(r"[1-9]", spec):  # a width without a 0: padded with spaces
                extra.add(" ")
            tokens.append(_DIGITS | extra)
    return tokens


def number_formats_may_collide(first: str, second: str) -> bool:
    """Could the two formats ever print the same number? A product of the two patterns read as
    automata (a replacement field reads one or more of its characters), searched breadth-first:
    a state is a position in each and whether a field is being read. Both formats valid."""
    a, b = _number_format_tokens(first), _number_format_tokens(second)

    def steps(tokens, position: int, inside: bool):
        """(character class, next position, inside) for each way to read one character."""
        if inside:  # within a field: read more of it, or leave it and read what follows
            yield tokens[position], position, True
            position += 1
        if position < len(tokens):
            token = tokens[position]
            chars = token if isinstance(token, frozenset) else frozenset(token)
            yield chars, position, isinstance(token, frozenset)
            if not isinstance(token, frozenset):
                return

    def at_end(tokens, position: int, inside: bool) -> bool:
        return position + (1 if inside else 0) >= len(tokens)

    start = (0, False, 0, False)
    seen, queue = {start}, [start]
    while queue:
        pa, ia, pb, ib = queue.pop()
        if at_end(a, pa, ia) and at_end(b, pb, ib):
            return True
        for chars_a, na, inside_a in steps(a, pa, ia):
            for chars_b, nb, inside_b in steps(b, pb, ib):
                if not chars_a & chars_b:
                    continue
                state = (
                    na + (0 if inside_a else 1),
                    inside_a,
                    nb + (0 if inside_b else 1),
                    inside_b,
                )
                if state not in seen:
                    seen.add(state)
                    queue.append(state)
    return False


# VAT identification numbers are checked by python-stdnum: the format *and* the check digits of
# each EU member state's scheme (and the UK's and Switzerland's), which a regular expression cannot
# do. Whether a number is registered is VIES's business, not ours.
_VAT_MODULES = {"CH": stdnum_ch_vat, "GB": stdnum_gb_vat}


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
# The member states by ISO 3166 code (a billing address's country): exports (art. 146) and
# services supplied outside the EU (art. 44) are for buyers elsewhere.
EU_COUNTRIES = frozenset(
    VAT_PREFIX_COUNTRY.get(prefix, prefix) for prefix in EU_VAT_PREFIXES if prefix != "XI"
)


# ISO 3166-1 alpha-2 codes, from the CLDR data Babel ships; CLDR adds groupings and
# pseudo-regions (the EU, the euro area, the UN, "unknown region") that are no country.
COUNTRY_CODES = frozenset(
    code
    for code in Locale("en").territories
    if len(code) == 2 and code.isalpha() and code not in {"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"}
)


def vat_id_country(vat_id: str) -> str:
    prefix = normalize_vat_id(vat_id)[:2]
    return VAT_PREFIX_COUNTRY.get(prefix, prefix)


def normalize_vat_id(value: str) -> str:
    """DE 136.695-976 → DE136695976."""
    return re.sub(r"[\s.\-/]", "", value or "").upper()


def _vat_id_is_valid(vat_id: str) -> bool:
    module = _VAT_MODULES.get(vat_id[:2])
    if module is not None:
        return module.is_valid(vat_id)
    # stdnum.eu.vat would also take a number without its country prefix (guessing the country);
    # on a document the prefix is what tells the reader which scheme the number belongs to.
    return vat_id[:2] in EU_VAT_PREFIXES and stdnum_eu_vat.is_valid(vat_id)


def validate_vat_id(value: str) -> None:
    if not value:
        return
    if not _vat_id_is_valid(normalize_vat_id(value)):
        raise ValidationError(
            _("%(value)s is not a valid VAT number (expected e.g. DE136695976)."),
            params={"value": value},
            code="vat_id",
        )


def _compact(value: str) -> str:
    return re.sub(r"[\s.\-/]", "", value or "").upper()


def validate_siren(value: str) -> None:
    """France: the company's 9-digit SIREN (Luhn check digit)."""
    if value and not stdnum_fr_siren.is_valid(_compact(value)):
        raise ValidationError(
            _("%(value)s is not a valid SIREN number (9 digits)."),
            params={"value": value},
            code="siren",
        )


def validate_siret(value: str) -> None:
    """France: the establishment's 14-digit SIRET (its SIREN followed by 5 digits)."""
    if value and not stdnum_fr_siret.is_valid(_compact(value)):
        raise ValidationError(
            _("%(value)s is not a valid SIRET number (14 digits)."),
            params={"value": value},
            code="siret",
        )


# The other tax identifier, by the party's country: Italy's codice fiscale (16 characters for a
# person, 11 digits for a company), Turkey's VKN (10 digits, companies) or TCKN (11 digits,
# persons), Germany's Steuernummer. Countries not listed take any text.
_TAX_ID_CHECKS = {
    "IT": (stdnum_it_codicefiscale.is_valid,),
    "TR": (stdnum_tr_vkn.is_valid, stdnum_tr_tckimlik.is_valid),
    "DE": (stdnum_de_stnr.is_valid,),
}


def normalize_tax_id(value: str) -> str:
    return _compact(value)


def validate_tax_id(value: str, country: str) -> None:
    """The party's other tax id, checked by the scheme of its country."""
    checks = _TAX_ID_CHECKS.get((country or "").upper())
    if not value or checks is None:
        return
    if not any(check(_compact(value)) for check in checks):
        raise ValidationError(
            _("%(value)s is not a valid tax number for %(country)s."),
            params={"value": value, "country": country.upper()},
            code="tax_id",
        )


def normalize_iban(value: str) -> str:
    return _compact(value)


def validate_iban(value: str) -> None:
    if not value:
        return
    try:
        IBAN(value)
    except SchwiftyException as exc:
        raise ValidationError(
            _("%(value)s is not a valid IBAN."), params={"value": value}, code="iban"
        ) from exc


def validate_bic(value: str) -> None:
    if not value:
        return
    try:
        BIC(value)
    except SchwiftyException as exc:
        raise ValidationError(
            _("%(value)s is not a valid BIC."), params={"value": value}, code="bic"
        ) from exc


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


def validate_email_list(value) -> None:
    """A list of e-mail addresses; the error names each one that is not an address."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("Enter a list of e-mail addresses."), code="invalid")
    bad = []
    for address in value:
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        raise ValidationError(
            _("Not an e-mail address: %(addresses)s"),
            params={"addresses": ", ".join(bad)},
            code="invalid",
        )


# WCAG 2's contrast for normal text (success criterion 1.4.3, level AA).
MIN_CONTRAST = 4.5


def contrast_with_white(colour: str) -> float:
    """The contrast ratio of #RRGGBB against white, by WCAG 2's relative luminance."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def validate_brand_contrast(value: str) -> None:
    """The brand colour is the portal's link and heading colour on white, and the background of
    its buttons under white text: both must stay readable, for every customer."""
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value or ""):
        return  # the format has its own validator and message
    ratio = contrast_with_white(value)
    if ratio < MIN_CONTRAST:
        raise ValidationError(
            _(
                "%(value)s is too light to read on white (contrast %(ratio)s:1, at least "
                "%(minimum)s:1 is needed): choose a darker shade."
            ),
            params={"value": value, "ratio": f"{ratio:.1f}", "minimum": MIN_CONTRAST},
            code="contrast",
        )
