"""System checks of the SLO app (registered by SloConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import DatabaseError

from runbooks import links

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
