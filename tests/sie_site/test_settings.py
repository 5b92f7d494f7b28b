"""Production mode refuses to start with a required variable missing; nothing defaults silently."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.processes import ROOT

COMPLETE = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": "s3cret-for-the-test",
    "ALLOWED_HOSTS": "sie.example.com",
    "DATABASE_URL": "postgres://sie@127.0.0.1:5432/sie",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def start(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in COMPLETE}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT, env={**base, "DJANGO_SETTINGS_MODULE": "sie_site.settings", **env},
        capture_output=True, text=True, timeout=60,
    )


def test_a_complete_production_environment_starts():
    done = start(COMPLETE)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "started" in done.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"])
def test_a_missing_required_variable_is_a_clear_startup_error(missing):
    env = {k: v for k, v in COMPLETE.items() if k != missing}
    done = start(env)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert missing in done.stderr


@pytest.mark.parametrize("name,value", [("SIE_QUEUE_MAX_SIZE", "lots"), ("DEBUG", "maybe")])
def test_a_malformed_value_is_refused(name, value):
    done = start({name: value})
    assert done.returncode != 0 and name in done.stderr
