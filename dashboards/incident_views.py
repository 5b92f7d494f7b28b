"""Incident pages: the list (with silences), one incident's timeline, and the acknowledge /
resolve buttons, which call the incident's own state methods."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from incidents.models import Actor, Incident, Severity
from slo.models import Service

from . import incident_reads

ACTIONS = {"acknowledge": Incident.acknowledge, "resolve": Incident.resolve}


@staff_member_required
def incident_list(request: HttpRequest) -> HttpResponse:
    filters = incident_reads.IncidentFilters.from_query(request.GET)
    context = {
        "incidents": incident_reads.incidents(filters),
        "filters": filters,
        "statuses": ["open", "triggered", "acknowledged", "resolved", "all"],
        "severities": Severity.values,
        "services": Service.objects.order_by("name").values_list("name", flat=True),
        "silences": incident_reads.silences(),
    }
    return render(request, "dashboards/incidents.html", context)


@staff_member_required
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = get_object_or_404(
        Incident.objects.select_related("service", "slo", "runbook", "rule"), pk=incident_id
    )
    context = {"incident": incident, "events": incident.events.order_by("at", "pk")}
    return render(request, "dashboards/incident.html", context)


@require_POST
@staff_member_required
def incident_action(request: HttpRequest, incident_id: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("unknown action")
    incident = get_object_or_404(Incident, pk=incident_id)
    # The web UI acts as a staff user through the site, which the timeline records as admin.
    changed = ACTIONS[action](incident, request.user.get_username(), Actor.ADMIN)
    if changed:
        messages.success(request, f"Incident {action}d.")
    else:
        messages.info(request, f"Nothing to do: the incident is already {incident.status}.")
    return redirect("dashboards:incident", incident_id=incident.pk)
