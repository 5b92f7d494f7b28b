"""Capacity planning: instances needed for a load, from measured CPU cost per unit of work.

Pure arithmetic. An instance is one CPU core kept at TARGET_UTILISATION so bursts and the
database have room; API instances are sized for the peak request rate, workers for the daily
volume with BURST_FACTOR headroom (the queue absorbs shorter peaks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TARGET_UTILISATION = 0.7
BURST_FACTOR = 2.0
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class PlanTier:
    name: str
    peak_rps: float
    mentions_per_day: int


# The SIE plan's tiers (product definition, not measurements).
PLAN_TIERS = (
    PlanTier("starter", 5, 10_000),
    PlanTier("pro", 50, 100_000),
    PlanTier("enterprise", 500, 1_000_000),
)


@dataclass(frozen=True)
class Plan:
    mentions_per_day: int
    peak_rps: float
    api_instances: int | None
    worker_instances: int | None
    api_cpu: float | None  # cores busy at the peak
    worker_cpu: float | None


def instances(cores_busy: float) -> int:
    return max(1, math.ceil(cores_busy / TARGET_UTILISATION - 1e-9))


def plan(
    mentions_per_day: int,
    peak_rps: float,
    cpu_per_request: float | None,
    cpu_per_mention: float | None,
) -> Plan:
    """Instances for a load; None where the product has not measured that cost yet."""
    api_cpu = None if cpu_per_request is None else peak_rps * cpu_per_request
    worker_cpu = None
    if cpu_per_mention is not None:
        worker_cpu = mentions_per_day / SECONDS_PER_DAY * BURST_FACTOR * cpu_per_mention
    return Plan(
        mentions_per_day=mentions_per_day,
        peak_rps=peak_rps,
        api_instances=None if api_cpu is None else instances(api_cpu),
        worker_instances=None if worker_cpu is None else instances(worker_cpu),
        api_cpu=api_cpu,
        worker_cpu=worker_cpu,
    )
