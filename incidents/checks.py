"""System checks: alert rule names and the runbooks' front-matter `alerts:` lists agree.

A runbook may list a shell-style pattern ("burn rate: *"): the generic SLO burn-rate runbook
covers every SLO without a runbook of its own. These read the database, so they run with
`migrate` and `check --database default`, not on every start-up."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from django.core import checks
from django.db import DatabaseError

from runbooks.sync import LIBRARY_DIR, read_library

from .models import AlertRule


@checks.register(checks.Tags.database)
def check_rule_runbooks(app_configs: Any = None, databases: Any = None, **kwargs: Any):
    if not databases or "default" not in databases:
        return []
    try:
        rules = list(AlertRule.objects.values_list("name", "runbook"))
    except DatabaseError:
        return []  # not migrated yet
    files, _ = read_library(LIBRARY_DIR)
    listed = {f.slug: f.alerts for f in files}
    return _unlisted_rules(rules, listed) + _unknown_names(rules, listed)


def _covers(patterns: list[str], name: str) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in patterns)


def _unlisted_rules(rules: list[tuple[str, str]], listed: dict[str, list[str]]) -> list:
    return [
        checks.Warning(
            f"alert rule {name!r} names runbook {slug!r}, whose front matter does not list it",
            hint=f"add {name!r} to `alerts:` in runbooks/library/{slug}.md, or fix the rule",
            id="incidents.W001",
        )
        for name, slug in rules
        if slug and not _covers(listed.get(slug, []), name)
    ]


def _unknown_names(rules: list[tuple[str, str]], listed: dict[str, list[str]]) -> list:
    names = [name for name, _ in rules]
    return [
        checks.Warning(
            f"runbook {slug!r} lists alert {alert!r}, which no alert rule is named",
            hint="rename the rule or fix the runbook's `alerts:` front matter",
            id="incidents.W002",
        )
        for slug, alerts in listed.items()
        for alert in alerts
        if not any(fnmatchcase(name, alert) for name in names)
    ]
