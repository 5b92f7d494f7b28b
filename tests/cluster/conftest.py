from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .services import PrivatePostgres, PrivateRedis
from .stack import Stack, migrate_template


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivatePostgres]:
    """One private PostgreSQL for the cluster suite with a migrated template database;
    tests that stop it restart it before they end."""
    pg = PrivatePostgres().start()
    try:
        with tempfile.TemporaryDirectory() as var_dir:
            migrate_template(pg, Path(var_dir))
        yield pg
    finally:
        pg.destroy()


@pytest.fixture
def stack(private_postgres, tmp_path) -> Iterator[Stack]:
    redis = PrivateRedis().start()
    deployment = Stack(private_postgres, redis, tmp_path)
    try:
        yield deployment
    finally:
        deployment.stop_all()
        redis.destroy()
