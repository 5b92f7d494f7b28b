"""Settings fail closed: anything but an explicit development/test environment is production,
which refuses to start without what it needs; nothing insecure defaults silently."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.processes import ROOT

COMPLETE = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": "k7Jq2-production-test-key-0123456789-abcdefghijklmnopqrstuv",
    "ALLOWED_HOSTS": "sie.example.com",
    "DATABASE_URL": "postgres://sie@127.0.0.1:5432/sie",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
SHOW = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print('started', s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
    "len(s.SIE_METRICS_ALLOWED_NETWORKS))"
)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    # Nothing of this test session's own environment (ENVIRONMENT=test, DATABASE_URL…) leaks in.
    names = {*COMPLETE, "DEBUG", "SIE_METRICS_ALLOWED_IPS"}
    base = {k: v for k, v in os.environ.items() if k not in names}
    return subprocess.run(
        [sys.executable, *(args or ("-c", SHOW))],
        cwd=ROOT, env={**base, "DJANGO_SETTINGS_MODULE": "sie_site.settings", **env},
        capture_output=True, text=True, timeout=60,
    )


def without(*names: str) -> dict[str, str]:
    return {k: v for k, v in COMPLETE.items() if k not in names}


def test_the_test_session_runs_with_environment_test():
    assert os.environ["ENVIRONMENT"] == "test"


def test_a_complete_production_environment_starts_with_debug_off_and_https_on():
    done = run(COMPLETE)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["started", "False", "True", "True", "2"]


def test_an_unset_environment_is_production():
    done = run(without("ENVIRONMENT"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[:3] == ["started", "False", "True"]
    refused = run(without("ENVIRONMENT", "SECRET_KEY"))
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr


def test_only_an_explicit_development_environment_turns_debug_on():
    done = run({"ENVIRONMENT": "development"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[:3] == ["started", "True", "False"]


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"])
def test_a_missing_required_variable_is_a_clear_startup_error(missing):
    done = run(without(missing))
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert missing in done.stderr


@pytest.mark.parametrize(
    "key", ["dev-insecure-secret-key-change-me", "short-secret", "a" * 60, "abcdabcdab" * 6]
)
def test_a_weak_or_public_secret_key_is_refused_in_production(key):
    done = run({**COMPLETE, "SECRET_KEY": key})
    assert done.returncode != 0 and "SECRET_KEY" in done.stderr


def test_debug_is_refused_in_production():
    done = run({**COMPLETE, "DEBUG": "true"})
    assert done.returncode != 0 and "DEBUG" in done.stderr


@pytest.mark.parametrize("name,value", [("SIE_QUEUE_MAX_SIZE", "lots"), ("DEBUG", "maybe")])
def test_a_malformed_value_is_refused(name, value):
    done = run({"ENVIRONMENT": "development", name: value})
    assert done.returncode != 0 and name in done.stderr


def test_an_empty_metrics_allow_list_means_no_address():
    done = run({**COMPLETE, "SIE_METRICS_ALLOWED_IPS": ""})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "0"


def test_check_deploy_is_clean_in_production():
    done = run(COMPLETE, "manage.py", "check", "--deploy", "--fail-level", "DEBUG")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
