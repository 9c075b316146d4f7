"""Cells a spreadsheet cannot mistake for a formula: for every file Kontor writes for people to
open (back-office exports, a customer's self-export)."""

from __future__ import annotations

import re

# A text cell starting with one of these is run as a formula by spreadsheet programs (CSV
# injection): customers type names, addresses and references that end up in these files.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def spreadsheet_safe(value):
    """Text that would start a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value
