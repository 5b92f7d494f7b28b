"""The time grains that buckets and roll-ups use (pure functions, no Django)."""

from __future__ import annotations

from datetime import datetime, timedelta

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def floor_minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def floor_hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def ceil_hour(at: datetime) -> datetime:
    floored = floor_hour(at)
    return floored if floored == at else floored + HOUR


def floor_day(at: datetime) -> datetime:
    """Midnight of `at`'s day in `at`'s own zone (callers pass UTC)."""
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def ceil_day(at: datetime) -> datetime:
    floored = floor_day(at)
    return floored if floored == at else floored + DAY
