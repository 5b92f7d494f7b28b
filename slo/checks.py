"""System checks of the SLO app (registered by SloConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import DatabaseError

from runbooks import links

from . import budget
from .models import SLO


@checks.register(checks.Tags.database)
def check_slo_runbooks(app_configs: Any = None, databases: Any = None, **kwargs: Any):
    """slo.W001 for every SLO naming a runbook that does not exist. It reads the database,
    so it runs with `migrate` and `check --database default`, not on every start-up."""
    if not databases or "default" not in databases:
        return []
    try:
        named = list(SLO.objects.exclude(runbook="").select_related("service"))
        missing = [slo for slo in named if links.resolve(slo.runbook) is None]
    except DatabaseError:
        return []  # tables not migrated yet: nothing to check
    return [
        checks.Warning(
            f"SLO {slo} names a missing runbook {slo.runbook!r}",
            hint="add runbooks/library/<slug>.md and run sync_runbooks, or fix the SLO's runbook",
            obj=slo,
            id="slo.W001",
        )
        for slo in missing
    ]


@checks.register(checks.Tags.database)
def check_slo_alerts(app_configs: Any = None, databases: Any = None, **kwargs: Any):
    """slo.W002 for every SLO whose objective leaves some severity unable to fire (a total
    outage burns at most 1 ÷ budget, under the page factors at or below 93.06 %)."""
    if not databases or "default" not in databases:
        return []
    try:
        slos = list(SLO.objects.select_related("service"))
    except DatabaseError:
        return []
    found = []
    for slo in slos:
        warning = budget.unreachable_warning(slo.objective, slo.window)
        if warning:
            found.append(
                checks.Warning(
                    f"SLO {slo}: {warning}",
                    hint="raise the objective, or alert on this SLI with a threshold rule",
                    obj=slo,
                    id="slo.W002",
                )
            )
    return found
