"""it: Kontor's convention, tabled in core/formats/__init__.py.

Months in lower case, as Italian writes them (`b`).
"""

DATE_FORMAT = "j b Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "j b Y, H:i"
SHORT_DATETIME_FORMAT = "d/m/Y, H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
