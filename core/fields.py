"""Model fields shared by the apps."""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def field_encryption_keys() -> tuple[str, ...]:
    """KONTOR_ENCRYPTION_KEYS (Fernet keys, newest first) if set; else keys derived from
    SECRET_KEY and its fallbacks, so rotating SECRET_KEY the Django way keeps secrets readable."""
    keys = tuple(settings.KONTOR_ENCRYPTION_KEYS)
    if keys:
        return keys
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return tuple(
        base64.urlsafe_b64encode(
            hashlib.sha256(f"kontor.field-encryption:{secret}".encode()).digest()
        ).decode()
        for secret in secrets
    )


def encrypt(text: str) -> str:
    return _fernet(field_encryption_keys()).encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(field_encryption_keys()).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "An encrypted value cannot be read with the configured keys "
            "(KONTOR_ENCRYPTION_KEYS or SECRET_KEY changed without keeping the old one)."
        ) from exc


class EncryptedTextField(models.TextField):
    """Text stored encrypted at rest (Fernet: AES-128-CBC with HMAC). Not searchable; "" stays
    "" so a blank secret reads as unset."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
