"""The SRE API checks Django model permissions, not only is_staff (issue 10)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def api_as(*codenames: str, superuser: bool = False) -> APIClient:
    user = get_user_model().objects.create_user(
        f"sre-{len(codenames)}-{superuser}", is_staff=True, is_superuser=superuser
    )
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


SERVICE = {"name": "checkout", "owner": "payments"}


def test_staff_without_model_permissions_can_neither_read_nor_write():
    api = api_as()
    assert api.get("/api/v1/services").status_code == 403
    assert api.post("/api/v1/services", SERVICE, format="json").status_code == 403
    assert api.get("/api/v1/runbooks").status_code == 403


def test_a_view_permission_reads_but_does_not_write():
    api = api_as("view_service")
    assert api.get("/api/v1/services").status_code == 200
    response = api.post("/api/v1/services", SERVICE, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_an_add_permission_creates():
    api = api_as("view_service", "add_service")
    assert api.post("/api/v1/services", SERVICE, format="json").status_code == 201


def test_a_superuser_has_every_permission():
    api = api_as(superuser=True)
    assert api.post("/api/v1/services", SERVICE, format="json").status_code == 201
    assert api.get("/api/v1/runbooks").status_code == 200
