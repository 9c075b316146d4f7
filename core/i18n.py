"""The compiled translation catalogues a process must have before it freezes text into documents.

Finalizing an invoice writes its legal mentions ("Autoliquidation", "Steuerschuldnerschaft des
Leistungsempfängers") in the buyer's language for good. A process started without the compiled
catalogues (`make messages`, bin/compilemessages.py) would write them in English without a word,
so finalizing refuses instead (`require_catalogues`).

The verdict is taken once per process, at start (CoreConfig.ready) or on first use, and kept:
Django keeps the catalogues it loaded for the life of the process, so one started without them
stays wrong after they are compiled, until it is restarted.
"""

from __future__ import annotations

import gettext
import struct
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import to_locale

SOURCE_LANGUAGE = "en"  # the msgids are English, so English needs no catalogue
DOMAIN = "django"


class CataloguesMissing(ImproperlyConfigured):
    """A deployment fault, not a business error: no form or retry by a user can fix it, and
    the billing run must stop rather than skip document after document."""

    def __init__(self, languages: list[str]) -> None:
        self.languages = languages
        paths = ", ".join(str(path) for path in settings.LOCALE_PATHS)
        # Not translated: the translations are what is missing.
        super().__init__(
            f"No compiled translation catalogue ({DOMAIN}.mo) for {', '.join(languages)} "
            f"under {paths}: documents would carry English legal mentions, so this process "
            "finalizes none. Compile them (`make messages`, i.e. `python "
            "bin/compilemessages.py`) and restart this process."
        )


def _loads(language: str) -> bool:
    """Whether a LOCALE_PATHS entry holds a readable catalogue for it, found as Django finds
    it (django.utils.translation.trans_real.DjangoTranslation._new_gnu_trans)."""
    for path in settings.LOCALE_PATHS:
        try:
            gettext.translation(DOMAIN, localedir=path, languages=[to_locale(language)])
        except (OSError, struct.error, ValueError, LookupError):
            # Absent (OSError), or truncated, corrupt or in an unknown charset: Django would
            # skip it just the same and fall back to English.
            continue
        return True
    return False


def catalogues_missing() -> list[str]:
    """The languages offered (settings.LANGUAGES) whose compiled catalogue is absent or
    unreadable; read from disk on every call."""
    return [
        code for code, _name in settings.LANGUAGES if code != SOURCE_LANGUAGE and not _loads(code)
    ]


@cache
def catalogues_missing_at_start() -> tuple[str, ...]:
    """`catalogues_missing()` as this process first found it (see the module's docstring)."""
    return tuple(catalogues_missing())


def require_catalogues() -> None:
    """Call before freezing translated text into a document; no disk access after the first."""
    missing = catalogues_missing_at_start()
    if missing:
        raise CataloguesMissing(list(missing))


@receiver(setting_changed)
def _judge_again(*, setting: str, **kwargs) -> None:
    """Tests point LOCALE_PATHS or LANGUAGES elsewhere: the next call judges those."""
    if setting in {"LOCALE_PATHS", "LANGUAGES"}:
        catalogues_missing_at_start.cache_clear()
