import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from core.fields import decrypt, encrypt


def test_secrets_survive_a_key_rotation_that_keeps_the_old_key(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.KONTOR_ENCRYPTION_KEYS = [old]
    token = encrypt("sk_live_secret")
    assert "sk_live_secret" not in token
    settings.KONTOR_ENCRYPTION_KEYS = [new, old]
    assert decrypt(token) == "sk_live_secret"
    settings.KONTOR_ENCRYPTION_KEYS = [new]
    with pytest.raises(ImproperlyConfigured):
        decrypt(token)


def test_without_explicit_keys_they_follow_secret_key_and_its_fallbacks(settings):
    settings.KONTOR_ENCRYPTION_KEYS = []
    token = encrypt("whsec_1")
    previous = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-secret-key" * 4, [previous]
    assert decrypt(token) == "whsec_1"
