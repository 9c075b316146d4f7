"""What to tell the customer when the bank refused a payment, from the bank's codes.

The 3-D Secure result (`mdStatus`) comes first: when the cardholder was not authenticated the bank
never looked at the payment, whatever `ProcReturnCode` says. Then the authorization's ISO 8583
code (`ProcReturnCode`). The bank's own `ErrMsg` is never shown: it is technical, in Turkish or
English at the bank's whim, and sometimes says more than the customer should read (e.g. "stolen
card"). It belongs in the logs and on the staff's payment page.

Lost, stolen and fraud codes only say "declined, contact your bank": telling whoever holds the card
that it was reported stolen helps nobody.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.payments.nestpay.codes import (
    APPROVED_CODE,
    PROCEEDING_MD_STATUSES,
)

_NOT_VERIFIED = _(
    "Your bank could not confirm that it is you (3-D Secure). Try again or use another card."
)
_3D_SYSTEM_ERROR = _(
    "The security check (3-D Secure) failed because of a technical problem. The payment was "
    "not made. Please try again in a few minutes."
)

# mdStatus values that stop the payment (codes.py), each with what the customer can do about it.
MD_STATUS_MESSAGES: Mapping[str, Promise] = {
    "0": _NOT_VERIFIED,
    "5": _(
        "Your bank could not run the security check (3-D Secure) for this card. Try again later "
        "or use another card."
    ),
    "6": _3D_SYSTEM_ERROR,
    "7": _3D_SYSTEM_ERROR,
    "8": _(
        "Your bank did not recognise the card number in the security check (3-D Secure). Check "
        "the card or use another one."
    ),
    "9": _(
        "This business cannot take 3-D Secure card payments at the moment. Please pay another "
        "way or contact the business."
    ),
}
# A failing mdStatus that is not in the table above.
MD_STATUS_FALLBACK = _NOT_VERIFIED

_CONTACT_YOUR_BANK = _("Your bank declined the payment. Please contact your bank.")
_EXPIRED = _("The card has expired. Please use another card.")
_BANK_ERROR = _(
    "The bank could not process the payment because of a technical problem. The payment was not "
    "made. Please try again in a few minutes."
)

# ProcReturnCode, the ISO 8583 response code of the authorization, once 3-D Secure has passed.
PROC_RETURN_CODE_MESSAGES: Mapping[str, Promise] = {
    "01": _("Your bank asks you to contact it before this payment can go through."),
    "02": _("Your bank asks you to contact it before this payment can go through."),
    "03": _(
        "The bank could not accept payments for this business. Please pay another way or "
        "contact the business."
    ),
    "04": _CONTACT_YOUR_BANK,
    "05": _("Your bank declined the payment. Contact your bank or use another card."),
    "07": _CONTACT_YOUR_BANK,
    "12": _(
        "Your bank does not allow this kind of payment with this card. Contact your bank or use "
        "another card."
    ),
    "13": _(
        "Your bank did not accept the amount of this payment. Contact your bank or use another "
        "card."
    ),
    "14": _("The card number is not valid. Check it or use another card."),
    "15": _("The card's bank could not be found. Check the card number or use another card."),
    "33": _EXPIRED,
    "34": _CONTACT_YOUR_BANK,
    "41": _CONTACT_YOUR_BANK,
    "43": _CONTACT_YOUR_BANK,
    "51": _(
        "There is not enough money or credit left on the card. Use another card or contact your "
        "bank."
    ),
    "54": _EXPIRED,
    "57": _(
        "Your bank does not allow this card to be used for this payment (online payments may be "
        "turned off). Contact your bank or use another card."
    ),
    "58": _(
        "The bank did not allow this payment for this business. Please use another card, pay "
        "another way or contact the business."
    ),
    "61": _(
        "The payment is above the card's spending limit. Use another card or ask your bank to "
        "raise the limit."
    ),
    "62": _("The card cannot be used for this payment. Contact your bank or use another card."),
    "65": _(
        "The card has reached its limit on the number of payments. Try again later, use another "
        "card or contact your bank."
    ),
    "91": _("Your bank cannot be reached at the moment. Please try again in a few minutes."),
    "96": _BANK_ERROR,
    "99": _BANK_ERROR,
}

# Only what looks like a bank code is repeated to the customer: the back-post is signed by the
# bank, but a field's content still has no business in a sentence unless it is short and plain.
_SHOWN_CODE = re.compile(r"[0-9A-Za-z]{1,4}")


def bank_message(*, md_status: str, proc_return_code: str, err_msg: str = "") -> str:
    """The customer's explanation of a refused payment, in the active language.

    `md_status` may be "" for answers without a 3-D step (the XML API). `err_msg` is accepted so
    callers can pass the back-post as it is, and deliberately ignored (see the module's docstring).
    Gives "" when nothing was refused: 3-D passed (or absent) and the code is "00".
    """
    del err_msg  # never shown to the customer
    md_status = (md_status or "").strip()
    if md_status and md_status not in PROCEEDING_MD_STATUSES:
        return str(MD_STATUS_MESSAGES.get(md_status, MD_STATUS_FALLBACK))
    code = _normalized_code(proc_return_code)
    if code == APPROVED_CODE:
        return ""
    message = PROC_RETURN_CODE_MESSAGES.get(code)
    if message is not None:
        return str(message)
    if not _SHOWN_CODE.fullmatch(code):
        return gettext("Your bank declined the payment. Please try again or use another card.")
    # Translators: %(code)s is the bank's answer code, e.g. "76".
    return gettext("Your bank declined the payment (code %(code)s).") % {"code": code}


def bank_message_for(fields: Mapping[str, str]) -> str:
    """`bank_message` for the fields of a NestPay back-post (mdStatus, ProcReturnCode, ErrMsg)."""
    return bank_message(
        md_status=fields.get("mdStatus", ""),
        proc_return_code=fields.get("ProcReturnCode", ""),
        err_msg=fields.get("ErrMsg", ""),
    )


def _normalized_code(proc_return_code: str) -> str:
    code = (proc_return_code or "").strip()
    # Some banks drop the leading zero of ISO 8583 codes ("5" for "05").
    return code.zfill(2) if code.isdigit() and len(code) == 1 else code
