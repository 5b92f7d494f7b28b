from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from ingestion.models import ApiKey, Customer, Project, Tier

from .fake_model_server import FakeModelServer


@dataclass
class Tenant:
    customer: Customer
    project: Project
    key: str

    def client(self) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=self.key)
        return client


@pytest.fixture
def make_tenant(db) -> Callable[..., Tenant]:
    def make(
        name: str = "acme", tier: str = Tier.PRO, slug: str | None = None, **project
    ) -> Tenant:
        customer = Customer.objects.create(name=name, tier=tier)
        proj = Project.objects.create(customer=customer, slug=slug or f"{name}-main", **project)
        _, raw = ApiKey.issue(customer)
        return Tenant(customer, proj, raw)

    return make


@pytest.fixture
def tenant(make_tenant) -> Tenant:
    return make_tenant()


def mention(project: str, n: int = 1, **extra) -> dict:
    body = {"project": project, "external_id": f"ext-{n}", "text": f"I love Acme #{n} :)"}
    body.update(extra)
    return body


@pytest.fixture
def fake_model(settings) -> Iterator[FakeModelServer]:
    """A fake AI model endpoint on 127.0.0.1, with SIE_AI_URL pointing at it."""
    with FakeModelServer() as server:
        settings.SIE_AI_URL = server.url
        yield server
