import subprocess
import sys

import pytest
from django.conf import settings


def _load_settings(tmp_path, **env) -> subprocess.CompletedProcess:
    code = "import portal.settings"
    return subprocess.run(  # noqa: S603 — our own interpreter, fixed arguments
        [sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin", "KONTOR_DATA_DIR": str(tmp_path), **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("value", ["ture", "enabled", "yes please"])
def test_a_mistyped_boolean_stops_the_start(tmp_path, value):
    result = _load_settings(tmp_path, DEBUG="true", SECURE_SSL_REDIRECT=value)
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stderr and "not a boolean" in result.stderr


def test_production_refuses_the_development_secret_key(tmp_path):
    result = _load_settings(tmp_path, DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_load_with_a_real_key(tmp_path):
    result = _load_settings(tmp_path, DEBUG="false", SECRET_KEY="x" * 60, SECURE_SSL_REDIRECT="on")
    assert result.returncode == 0, result.stderr
