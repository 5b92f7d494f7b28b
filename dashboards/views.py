"""SRE dashboards: staff only. `?fragment=1` answers the live part of a page only, which the
page's script fetches on an interval and swaps in (no full reload)."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from slo.models import SLO, Service

from . import capacity, detail, figures, forecast, incident_reads, overview, overview_rows

REFRESH_SECONDS = 30
MIN_REFRESH_SECONDS = 2


def refresh_seconds(query: dict[str, str]) -> int:
    """?refresh=N (a wall screen may want it faster or slower), never under 2 s."""
    try:
        return max(int(query.get("refresh", REFRESH_SECONDS)), MIN_REFRESH_SECONDS)
    except ValueError:
        return REFRESH_SECONDS


def _page(request: HttpRequest, template: str, fragment: str, context: dict) -> HttpResponse:
    context["refresh_seconds"] = refresh_seconds(request.GET)
    if request.GET.get("fragment"):
        return render(request, fragment, context)
    return render(request, template, context)


@staff_member_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("dashboards:slo-overview")


@staff_member_required
def slo_overview(request: HttpRequest) -> HttpResponse:
    filters = overview.Filters.from_query(request.GET)
    rows = overview.rows(filters, incident_reads.open_counts_by_slo())
    context = {
        "rows": rows,
        "rows_html": overview_rows.render(rows, overview_rows.detail_url_template()),
        "filters": filters,
        "counts": overview.summary(rows),
        "services": Service.objects.order_by("name").values_list("name", flat=True),
        "statuses": list(overview.STATUS_RANK),
        "burn_windows": overview.SHOWN_BURN_WINDOWS,
        "scatter": figures.overview_scatter(rows),
    }
    return _page(request, "dashboards/slo_overview.html", "dashboards/_slo_rows.html", context)


@staff_member_required
def slo_detail(request: HttpRequest, slo_id: int) -> HttpResponse:
    slo = get_object_or_404(SLO.objects.select_related("service"), pk=slo_id)
    h = detail.history(slo, request.GET.get("range", ""))
    incidents = incident_reads.for_slo(slo, h.start)
    context = {
        "slo": slo,
        "h": h,
        "ranges": detail.range_options(slo),
        "exhaustion": {w: forecast.humanize_hours(v) for w, v in h.exhaustion.items()},
        "incidents": incidents,
        "figures": {
            "sli": figures.sli_figure(h),
            "burndown": figures.burndown_figure(h),
            "burn": figures.burn_figure(h, [(i.triggered_at, str(i)) for i in incidents]),
            "traffic": figures.traffic_figure(h),
        },
    }
    return _page(request, "dashboards/slo_detail.html", "dashboards/_slo_live.html", context)


@staff_member_required
def capacity_page(request: HttpRequest) -> HttpResponse:
    context = capacity.page_context(request.GET)
    return _page(request, "dashboards/capacity.html", "dashboards/_capacity_live.html", context)
