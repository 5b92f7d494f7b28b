"""OpenSLO v1 import/export for the Service and SLO kinds.

Mapping (SIE extensions live in metadata.annotations, prefix "sie.dev/"):
* indicator.spec.ratioMetric good/total (or bad/total) and thresholdMetric
* metricSource.type: Prometheus (spec.query, `$window` allowed), SIE (the SIE's own telemetry:
  spec.sli, spec.routes, spec.methods), Push (POST /api/v1/slos/{id}/events)
* timeWindow: rolling 7d/1w, 14d/2w, 28d/4w, 30d; calendar 1M in UTC
* budgetingMethod Occurrences / Timeslices (1-minute slices); one objective per SLO
An import is all or nothing: every problem of every document is reported as
"FILE[INDEX] field: reason" and nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from . import budget
from .models import NAME_VALIDATOR, SLO, Budgeting, Service, SLIKind, Source, Window
from .serializers import slo_errors

API_VERSION = "openslo/v1"
ANNOTATION = "sie.dev/"
DURATION = re.compile(r"^(\d+)([smhdwMQY])$")
ROLLING = {(7, "d"): "7d", (1, "w"): "7d", (14, "d"): "14d", (2, "w"): "14d",
           (28, "d"): "28d", (4, "w"): "28d", (30, "d"): "30d"}  # fmt: skip
UTC_ZONES = {"UTC", "Etc/UTC", "Z", "GMT"}
THRESHOLD_KINDS = {SLIKind.LATENCY, SLIKind.QUEUE_LAG}
SOURCE_TYPES = {"prometheus": Source.PROMETHEUS, "sie": Source.TELEMETRY, "push": Source.PUSH}


class OpenSLOError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Parsed:
    """One document's fields (or its problems), before anything is written."""

    where: str
    kind: str
    fields: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, path: str, reason: str) -> None:
        self.problems.append(f"{self.where} {path}: {reason}")


def _at(doc: Any, path: str) -> Any:
    for part in path.split("."):
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


def load(paths: list[str]) -> list[tuple[str, Any]]:
    """(where, document) for every YAML document of every file, in order."""
    docs, problems = [], []
    for path in paths:
        try:
            loaded = list(yaml.safe_load_all(Path(path).read_text()))
        except (OSError, yaml.YAMLError) as exc:
            problems.append(f"{path}: cannot read YAML: {exc}")
            continue
        docs += [(f"{path}[{i}]", doc) for i, doc in enumerate(loaded) if doc is not None]
    if problems:
        raise OpenSLOError(problems)
    return docs


def parse(where: str, doc: Any, push_unknown: bool = False) -> Parsed:
    if not isinstance(doc, dict):
        parsed = Parsed(where, "?")
        parsed.fail("(document)", "not a mapping")
        return parsed
    parsed = Parsed(where, str(doc.get("kind")))
    if doc.get("apiVersion") != API_VERSION:
        parsed.fail("apiVersion", f"{doc.get('apiVersion')!r} is not {API_VERSION}")
    _parse_name(parsed, doc)
    if parsed.kind == "Service":
        _parse_service(parsed, doc)
    elif parsed.kind == "SLO":
        _parse_slo(parsed, doc, push_unknown)
    else:
        parsed.fail("kind", f"{parsed.kind} is not supported (Service, SLO)")
    return parsed


def _parse_name(parsed: Parsed, doc: dict) -> None:
    name = _at(doc, "metadata.name")
    if not isinstance(name, str) or not NAME_VALIDATOR.regex.match(name):
        parsed.fail("metadata.name", f"{name!r} is not an RFC 1123 label")
    parsed.fields["name"] = name
    parsed.fields["display_name"] = _at(doc, "metadata.displayName") or ""
    parsed.fields["description"] = _at(doc, "spec.description") or ""


def _annotations(doc: dict) -> dict[str, str]:
    raw = _at(doc, "metadata.annotations") or {}
    return {k[len(ANNOTATION) :]: str(v) for k, v in raw.items() if k.startswith(ANNOTATION)}


def _parse_service(parsed: Parsed, doc: dict) -> None:
    notes = _annotations(doc)
    parsed.fields.pop("display_name")  # services have none
    parsed.fields["owner"] = notes.get("owner", "")
    parsed.fields["tags"] = [t for t in notes.get("tags", "").split(",") if t]


def _parse_slo(parsed: Parsed, doc: dict, push_unknown: bool) -> None:
    spec, f = doc.get("spec") or {}, parsed.fields
    notes = _annotations(doc)
    f["service"] = spec.get("service")
    if not isinstance(f["service"], str) or not NAME_VALIDATOR.regex.match(f["service"]):
        parsed.fail("spec.service", f"{f['service']!r} is not an RFC 1123 service name")
    f["runbook"] = notes.get("runbook", "")
    _parse_indicator(parsed, spec, notes, push_unknown)
    _parse_time_window(parsed, spec.get("timeWindow"))
    _parse_budgeting(parsed, spec.get("budgetingMethod"))
    _parse_objective(parsed, spec.get("objectives"))
    if spec.get("alertPolicies"):
        parsed.notes.append(f"{parsed.where} spec.alertPolicies: ignored (SIE pages on burn rates)")
    if not parsed.problems:
        for name, reason in slo_errors(f).items():
            parsed.fail(name, reason)


def _source(parsed: Parsed, path: str, metric: Any, push_unknown: bool) -> tuple[str, dict]:
    source = _at(metric, "metricSource")
    kind = str(_at(source, "type") or "")
    spec = _at(source, "spec") or {}
    if kind.lower() in SOURCE_TYPES:
        return SOURCE_TYPES[kind.lower()], spec
    if push_unknown:
        parsed.notes.append(f"{parsed.where} {path}.metricSource.type: {kind!r} imported as push")
        return Source.PUSH, {}
    parsed.fail(f"{path}.metricSource.type", f"{kind!r} is not supported (Prometheus, SIE, Push)")
    return "", {}


def _parse_indicator(parsed: Parsed, spec: dict, notes: dict, push_unknown: bool) -> None:
    if "indicatorRef" in spec:
        parsed.fail("spec.indicatorRef", "SLI documents are not supported; inline spec.indicator")
        return
    indicator = _at(spec, "indicator.spec") or {}
    f = parsed.fields
    f["threshold_ms"] = int(notes["threshold-ms"]) if notes.get("threshold-ms") else None
    if "ratioMetric" in indicator:
        _parse_ratio(parsed, indicator["ratioMetric"] or {}, push_unknown)
    elif "thresholdMetric" in indicator:
        base = "spec.indicator.spec.thresholdMetric"
        f["source"], src = _source(parsed, base, indicator["thresholdMetric"], push_unknown)
        f["sli"] = src.get("sli", SLIKind.LATENCY)
        if f["source"] == Source.PROMETHEUS:
            parsed.fail(base, "Prometheus SLIs must be a ratioMetric (good/total)")
        _telemetry_scope(f, src)
    else:
        parsed.fail("spec.indicator.spec", "needs a ratioMetric or a thresholdMetric")
    if notes.get("sli"):
        f["sli"] = notes["sli"]
    if f.get("sli") not in SLIKind.values:
        parsed.fail("spec.indicator", f"SLI kind {f.get('sli')!r} is not one of {SLIKind.values}")


def _parse_ratio(parsed: Parsed, ratio: dict, push_unknown: bool) -> None:
    f, base = parsed.fields, "spec.indicator.spec.ratioMetric"
    numerator = "good" if "good" in ratio else "bad"
    if numerator not in ratio or "total" not in ratio:
        parsed.fail(base, "needs good/total or bad/total")
        return
    f["source"], top = _source(parsed, f"{base}.{numerator}", ratio[numerator], push_unknown)
    total_source, bottom = _source(parsed, f"{base}.total", ratio["total"], push_unknown)
    if total_source != f["source"]:
        parsed.fail(f"{base}.total.metricSource.type", "must match the numerator's type")
    f["sli"] = top.get("sli", SLIKind.RATIO)
    _telemetry_scope(f, top)
    if f["source"] == Source.PROMETHEUS:
        good, total = top.get("query"), bottom.get("query")
        if not isinstance(good, str) or not isinstance(total, str):
            parsed.fail(base, "Prometheus metric sources need spec.query")
            return
        # An absent bad series means no bad events, not an unknown minute: `or vector(0)`
        # (both sides summed so their labels match) keeps good = total while nothing fails.
        absent_is_zero = f"sum({total}) - (sum({good}) or vector(0))"
        f["good_query"] = good if numerator == "good" else absent_is_zero
        f["total_query"] = total


def _telemetry_scope(f: dict[str, Any], spec: dict) -> None:
    f["routes"] = list(spec.get("routes") or [])
    f["methods"] = list(spec.get("methods") or [])


def _parse_time_window(parsed: Parsed, windows: Any) -> None:
    if not isinstance(windows, list) or len(windows) != 1:
        parsed.fail("spec.timeWindow", "exactly one time window is required")
        return
    window = windows[0] or {}
    match = DURATION.match(str(window.get("duration", "")))
    path = "spec.timeWindow[0]"
    if not match:
        parsed.fail(f"{path}.duration", f"{window.get('duration')!r} is not a duration like 30d")
        return
    amount, unit = int(match[1]), match[2]
    if window.get("isRolling", False):
        parsed.fields["window"] = ROLLING.get((amount, unit), "")
        if not parsed.fields["window"]:
            parsed.fail(f"{path}.duration", f"rolling {amount}{unit}: use 7d, 14d, 28d or 30d")
        return
    parsed.fields["window"] = Window.CALENDAR_MONTH
    if (amount, unit) != (1, "M"):
        hint = " (m is minutes; a month is 1M)" if unit == "m" else ""
        parsed.fail(f"{path}.duration", f"calendar {amount}{unit}{hint}: only 1M is supported")
    zone = _at(window, "calendar.timeZone") or "UTC"
    if zone not in UTC_ZONES:
        parsed.fail(f"{path}.calendar.timeZone", f"{zone}: calendar months are counted in UTC")


def _parse_budgeting(parsed: Parsed, method: Any) -> None:
    methods = {"Occurrences": Budgeting.OCCURRENCES, "Timeslices": Budgeting.TIMESLICES}
    if method is None:
        parsed.fail("spec.budgetingMethod", "required (Occurrences or Timeslices)")
    elif method not in methods:
        parsed.fail(
            "spec.budgetingMethod", f"{method!r} is not supported (Occurrences, Timeslices)"
        )
    parsed.fields["budgeting"] = methods.get(method, "")


def _fraction(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _parse_objective(parsed: Parsed, objectives: Any) -> None:
    if not isinstance(objectives, list) or len(objectives) != 1:
        count = len(objectives) if isinstance(objectives, list) else 0
        parsed.fail("spec.objectives", f"{count} objectives: exactly one per SLO is supported")
        return
    objective, f = objectives[0] or {}, parsed.fields
    if "targetPercent" in objective:
        target = _fraction(objective["targetPercent"])
    else:
        target = _fraction(objective.get("target"))
        target = None if target is None else target * 100
    if target is None or not 0 < target < 100:
        parsed.fail("spec.objectives[0].target", "a fraction strictly between 0 and 1")
    elif target.normalize().as_tuple().exponent < -4:
        decimals = f"{target.normalize():f} % has more than 4 decimals"
        parsed.fail("spec.objectives[0].target", decimals)
    f["objective"] = target
    if "timeSliceTarget" in objective:
        f["timeslice_target"] = _fraction(objective["timeSliceTarget"])
    slice_window = objective.get("timeSliceWindow")
    if f.get("budgeting") == Budgeting.TIMESLICES and slice_window not in (None, "1m", "60s"):
        parsed.fail("spec.objectives[0].timeSliceWindow", f"{slice_window}: slices are 1m")
    if "value" in objective and f.get("sli") in THRESHOLD_KINDS:
        f["threshold_ms"] = int(objective["value"])


def import_paths(paths: list[str], push_unknown: bool = False) -> list[str]:
    """Import every document of the files in one transaction; returns notes for the user.
    Raises OpenSLOError listing every problem (and writes nothing) if any document is bad."""
    parsed = [parse(where, doc, push_unknown) for where, doc in load(paths)]
    problems = [p for doc in parsed for p in doc.problems]
    if problems:
        raise OpenSLOError(problems)
    notes = [n for doc in parsed for n in doc.notes]
    with transaction.atomic():
        for doc in parsed:
            if doc.kind == "Service":
                name = doc.fields.pop("name")
                Service.objects.update_or_create(name=name, defaults=doc.fields)
        for doc in parsed:
            if doc.kind == "SLO":
                notes += _save_slo(doc.fields)
    return notes


def _save_slo(fields: dict[str, Any]) -> list[str]:
    service, created = Service.objects.get_or_create(name=fields.pop("service"))
    name = fields.pop("name")
    # Fields a document does not mention go back to their defaults on re-import.
    blank = {"good_query": "", "total_query": "", "routes": [], "methods": [],
             "threshold_ms": None, "timeslice_target": None}  # fmt: skip
    SLO.objects.update_or_create(service=service, name=name, defaults={**blank, **fields})
    notes = [f"service {service.name} created for SLO {name}"] if created else []
    warning = budget.unreachable_warning(fields["objective"], fields["window"])
    return notes + ([f"{service.name}/{name}: {warning}"] if warning else [])


# --- export ---------------------------------------------------------------------------------


def export_documents(service_names: list[str] | None = None) -> list[dict[str, Any]]:
    """Service and SLO documents for every service (or the named ones), SLOs after their
    service, so the output imports back as is."""
    services = Service.objects.order_by("name").prefetch_related("slos")
    if service_names:
        services = services.filter(name__in=service_names)
    docs = []
    for service in services:
        docs.append(_service_document(service))
        docs += [_slo_document(slo, service) for slo in sorted(service.slos.all(), key=str)]
    return docs


def dump(docs: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True)


def _metadata(name: str, display_name: str, annotations: dict[str, str]) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if display_name:
        meta["displayName"] = display_name
    if annotations:
        meta["annotations"] = {ANNOTATION + k: v for k, v in annotations.items()}
    return meta


def _service_document(service: Service) -> dict[str, Any]:
    notes = {"owner": service.owner, "tags": ",".join(service.tags)}
    return {
        "apiVersion": API_VERSION,
        "kind": "Service",
        "metadata": _metadata(service.name, "", {k: v for k, v in notes.items() if v}),
        "spec": {"description": service.description},
    }


def _metric_sources(slo: SLO) -> tuple[dict[str, Any], dict[str, Any]]:
    if slo.source == Source.TELEMETRY:
        spec = {"sli": slo.sli, "routes": slo.routes, "methods": slo.methods}
        return {"type": "SIE", "spec": spec}, {"type": "SIE", "spec": dict(spec)}
    if slo.source == Source.PROMETHEUS:
        return (
            {"type": "Prometheus", "spec": {"query": slo.good_query}},
            {"type": "Prometheus", "spec": {"query": slo.total_query}},
        )
    return {"type": "Push", "spec": {}}, {"type": "Push", "spec": {}}


def _slo_document(slo: SLO, service: Service) -> dict[str, Any]:
    good, total = _metric_sources(slo)
    objective: dict[str, Any] = {"target": float(slo.objective / 100)}
    notes = {"sli": slo.sli, "runbook": slo.runbook}
    if slo.source == Source.TELEMETRY and slo.sli in THRESHOLD_KINDS:
        indicator = {"thresholdMetric": {"metricSource": good}}
        objective.update(op="lte", value=slo.threshold_ms)
    else:
        indicator = {"ratioMetric": {"counter": True, "good": {"metricSource": good},
                                     "total": {"metricSource": total}}}  # fmt: skip
        notes["threshold-ms"] = "" if slo.threshold_ms is None else str(slo.threshold_ms)
    if slo.budgeting == Budgeting.TIMESLICES:
        objective["timeSliceWindow"] = "1m"
    if slo.timeslice_target is not None:
        objective["timeSliceTarget"] = float(slo.timeslice_target)
    return {
        "apiVersion": API_VERSION,
        "kind": "SLO",
        "metadata": _metadata(slo.name, slo.display_name, {k: v for k, v in notes.items() if v}),
        "spec": {
            "description": slo.description,
            "service": service.name,
            "indicator": {"metadata": {"name": f"{slo.name}-sli"}, "spec": indicator},
            "timeWindow": [_time_window(slo.window)],
            "budgetingMethod": "Timeslices"
            if slo.budgeting == Budgeting.TIMESLICES
            else "Occurrences",
            "objectives": [objective],
        },
    }


def _time_window(window: str) -> dict[str, Any]:
    if window == Window.CALENDAR_MONTH:
        calendar = {"startTime": "2020-01-01 00:00:00", "timeZone": "UTC"}
        return {"duration": "1M", "isRolling": False, "calendar": calendar}
    return {"duration": window, "isRolling": True}
