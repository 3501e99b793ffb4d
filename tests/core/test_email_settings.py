"""Where ShopWatch's emails go: an SMTP server when one is configured, otherwise files in the data directory's
outbox (the embedded default, so a demo or a trial never tries to reach a mail server it does not have)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.resilience.support import ROOT

PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({k: getattr(s, k, None) for k in ('EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', "
    "'EMAIL_HOST_USER', 'EMAIL_USE_TLS', 'EMAIL_USE_SSL', 'EMAIL_FILE_PATH', 'DEFAULT_FROM_EMAIL')}))"
)


def _probe(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Load ShopWatch's settings in a fresh interpreter with only this environment."""
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "shopwatch.settings",
            "SHOPWATCH_DATA_DIR": str(tmp_path),
            "PYTHONPATH": str(ROOT),
            **env,
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _settings(tmp_path: Path, **env: str) -> dict[str, object]:
    done = _probe(tmp_path, **env)
    assert done.returncode == 0, done.stderr
    found: dict[str, object] = json.loads(done.stdout)
    return found


def test_without_an_smtp_server_emails_are_kept_in_the_outbox(tmp_path: Path) -> None:
    found = _settings(tmp_path)
    assert found["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert found["EMAIL_FILE_PATH"] == str(tmp_path.resolve() / "outbox")


def test_an_smtp_server_is_configured_from_the_environment(tmp_path: Path) -> None:
    found = _settings(
        tmp_path,
        SHOPWATCH_SMTP_HOST="smtp.example.org",
        SHOPWATCH_SMTP_USER="shopwatch",
        SHOPWATCH_SMTP_PASSWORD="secret",
        SHOPWATCH_EMAIL_FROM="Brighton BCRP <alerts@bcrp.example.org>",
    )
    assert found["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (found["EMAIL_HOST"], found["EMAIL_PORT"]) == ("smtp.example.org", 587)
    assert found["EMAIL_HOST_USER"] == "shopwatch"
    assert (found["EMAIL_USE_TLS"], found["EMAIL_USE_SSL"]) == (True, False)
    assert found["DEFAULT_FROM_EMAIL"] == "Brighton BCRP <alerts@bcrp.example.org>"
    implicit = _settings(tmp_path, SHOPWATCH_SMTP_HOST="smtp.example.org", SHOPWATCH_SMTP_SECURITY="tls")
    assert (implicit["EMAIL_USE_TLS"], implicit["EMAIL_USE_SSL"]) == (False, True)


def test_an_unknown_smtp_security_is_refused_plainly(tmp_path: Path) -> None:
    done = _probe(tmp_path, SHOPWATCH_SMTP_HOST="smtp.example.org", SHOPWATCH_SMTP_SECURITY="ssl3")
    assert done.returncode != 0
    assert "SHOPWATCH_SMTP_SECURITY must be starttls" in done.stderr
