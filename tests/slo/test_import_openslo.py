"""`manage.py import_openslo FILE…`: every upstream example imports or is rejected precisely;
an invalid document names file, index and field, and nothing is half-imported."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from slo.models import SLO, Service

# Verbatim copies of the upstream examples (see SOURCE.txt there for origin and quirks).
EXAMPLES = Path(__file__).parent / "openslo-examples"

# Every upstream example and the problems it must be rejected with (default mode).
REJECTIONS = {
    "budgeting-method__occurences-slo.yaml": [
        "[0] spec.indicator.spec.thresholdMetric.metricSource.type: 'Any' is not supported",
    ],
    "budgeting-method__ratio-timeslices.yaml": [
        "[0] spec.indicator.spec.ratioMetric.good.metricSource.type: 'Any' is not supported",
        "[0] spec.budgetingMethod: 'RatioTimeslices' is not supported",
    ],
    "budgeting-method__timeslices-slo.yaml": [
        "[0] spec.timeWindow[0].duration: calendar 1m (m is minutes; a month is 1M)",
        "[0] spec.timeWindow[0].calendar.timeZone: America/New_York",
        "[0] spec.objectives: 2 objectives",
    ],
    "readme__alert-condition.yaml": ["[0] kind: AlertCondition is not supported"],
    "readme__alert-notification-target.yaml": [
        "[0] metadata.name: 'OnCallDevopsMailNotification' is not an RFC 1123 label",
        "[0] kind: AlertNotificationTarget is not supported",
    ],
    "readme__alert-policy-inline-condition.yaml": ["[0] kind: AlertPolicy is not supported"],
    "readme__slo-inline-ratio-sli.yaml": [
        "[0] spec.indicator.spec.ratioMetric.good.metricSource.type: 'Datadog' is not supported",
        "[0] spec.timeWindow: exactly one time window is required",
        "[0] spec.budgetingMethod: required",
    ],
    "treat-low-traffic-as-equally-important__timeslices-slo.yaml": [
        "[0] spec.timeWindow[0].duration: calendar 1w: only 1M is supported",
    ],
}


def import_openslo(*args: str) -> str:
    out = StringIO()
    call_command("import_openslo", *args, stdout=out)
    return out.getvalue()


def test_every_upstream_example_is_accounted_for():
    assert sorted(p.name for p in EXAMPLES.glob("*.yaml")) == sorted(REJECTIONS)


@pytest.mark.parametrize("name", sorted(REJECTIONS))
def test_upstream_example_is_rejected_with_a_precise_reason(db, name):
    before = SLO.objects.count()
    with pytest.raises(CommandError) as error:
        import_openslo(str(EXAMPLES / name))
    for problem in REJECTIONS[name]:
        assert f"{EXAMPLES / name}{problem}" in str(error.value)
    assert SLO.objects.count() == before


def test_the_occurrences_example_imports_as_a_push_slo_when_asked(db):
    out = import_openslo(
        "--push-unknown-sources", str(EXAMPLES / "budgeting-method__occurences-slo.yaml")
    )
    slo = SLO.objects.get(name="search-slo")
    assert (slo.service.name, slo.source, slo.sli, slo.threshold_ms) == (
        "web-shop",
        "push",
        "latency",
        500,
    )
    assert (slo.objective, slo.window, slo.budgeting) == (Decimal("99"), "14d", "occurrences")
    assert slo.display_name == "Searching time"
    assert "service web-shop created" in out


def test_the_other_examples_stay_rejected_even_with_push_for_unknown_sources(db):
    for name in sorted(REJECTIONS):
        if name == "budgeting-method__occurences-slo.yaml":
            continue
        with pytest.raises(CommandError):
            import_openslo("--push-unknown-sources", str(EXAMPLES / name))
    assert not Service.objects.filter(name__in=["web-shop", "web-availability", "foo"]).exists()


PROMETHEUS_SLO = """\
apiVersion: openslo/v1
kind: Service
metadata: {{name: checkout, annotations: {{sie.dev/owner: payments}}}}
spec: {{description: Checkout}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {{name: {name}, displayName: Checkout errors}}
spec:
  service: checkout
  indicator:
    metadata: {{name: checkout-errors}}
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource: {{type: Prometheus, spec: {{query: 'sum(increase(errors[$window]))'}}}}
        total:
          metricSource: {{type: Prometheus, spec: {{query: 'sum(increase(requests[$window]))'}}}}
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar: {{startTime: 2022-01-01 00:00:00, timeZone: UTC}}
  budgetingMethod: Timeslices
  objectives: [{{target: {target}, timeSliceTarget: 0.95, timeSliceWindow: 1m}}]
"""


def test_a_prometheus_bad_over_total_slo_imports(db, tmp_path):
    path = tmp_path / "checkout.yaml"
    path.write_text(PROMETHEUS_SLO.format(name="checkout-errors", target=0.995))
    import_openslo(str(path))
    slo = SLO.objects.get(name="checkout-errors")
    assert slo.service.owner == "payments"
    assert slo.good_query.startswith("sum(sum(increase(requests[$window]))) - ")
    assert (slo.window, slo.budgeting, slo.objective) == (
        "calendar_month",
        "timeslices",
        Decimal("99.5"),
    )
    assert slo.timeslice_target == Decimal("0.95")


def test_one_bad_document_imports_nothing_and_names_file_index_and_field(db, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(PROMETHEUS_SLO.format(name="checkout-errors", target=0.995))
    bad = tmp_path / "bad.yaml"
    bad.write_text(PROMETHEUS_SLO.format(name="checkout-latency", target=1.5))
    with pytest.raises(CommandError) as error:
        import_openslo(str(good), str(bad))
    assert f"{bad}[1] spec.objectives[0].target: a fraction strictly between 0 and 1" in str(
        error.value
    )
    assert not Service.objects.filter(name="checkout").exists()
    assert not SLO.objects.filter(name__startswith="checkout").exists()


def test_broken_yaml_names_the_file(db, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("kind: [unclosed\n")
    with pytest.raises(CommandError, match="broken.yaml: cannot read YAML"):
        import_openslo(str(path))


def test_a_target_with_more_than_four_decimals_is_refused_not_rounded_to_100(db, tmp_path):
    path = tmp_path / "checkout.yaml"
    path.write_text(PROMETHEUS_SLO.format(name="checkout-errors", target=0.9999999))
    with pytest.raises(CommandError) as error:
        import_openslo(str(path))
    assert "spec.objectives[0].target: 99.99999 % has more than 4 decimals" in str(error.value)
    assert not SLO.objects.filter(name="checkout-errors").exists()


def test_an_absent_bad_series_counts_as_zero_bad_events(db, tmp_path):
    path = tmp_path / "checkout.yaml"
    path.write_text(PROMETHEUS_SLO.format(name="checkout-errors", target=0.995))
    import_openslo(str(path))
    slo = SLO.objects.get(name="checkout-errors")
    assert slo.good_query == (
        "sum(sum(increase(requests[$window]))) - (sum(sum(increase(errors[$window]))) or vector(0))"
    )


def test_an_slo_whose_alerts_can_never_fire_is_imported_with_a_warning(db, tmp_path):
    path = tmp_path / "checkout.yaml"
    path.write_text(PROMETHEUS_SLO.format(name="checkout-errors", target=0.8))
    out = import_openslo(str(path))
    assert "checkout/checkout-errors: at 80% a page can never fire" in out
