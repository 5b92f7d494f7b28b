from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_api(django_user_model) -> APIClient:
    """Authenticated the way SRE scripts are: `Authorization: Token …` of a staff user."""
    user = django_user_model.objects.create_user("sre", is_staff=True)
    # The SRE API checks model permissions, not only is_staff (issue 10).
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="runbooks"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_the_api_refuses_anonymous_callers_with_the_error_envelope():
    response = APIClient().get("/api/v1/runbooks")

    assert response.status_code in {401, 403}
    assert response.json()["error"]["code"] in {"unauthorized", "forbidden"}


def test_the_api_is_for_staff_only(django_user_model):
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_user("oncall"))

    response = client.get("/api/v1/runbooks")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_listing_returns_the_active_library_with_page_links(staff_api, settings):
    settings.SITE_URL = "https://sie.example.com"

    body = staff_api.get("/api/v1/runbooks").json()

    by_slug = {runbook["slug"]: runbook for runbook in body}
    assert "queue-backup" in by_slug and "slo-burn-rate" in by_slug
    queue = by_slug["queue-backup"]
    assert queue["url"] == "https://sie.example.com/runbooks/queue-backup/"
    assert "queue depth > 10K for 15 min" in queue["alerts"]
    assert queue["revision"] == 1 and queue["archived_at"] is None


def test_one_runbook_is_read_by_slug_with_its_revisions(staff_api, library, write_runbook):
    path = write_runbook("disk-full", tags=["disk"])
    call_command("sync_runbooks", str(library), stdout=StringIO())
    path.write_text(path.read_text().replace("It is slow.", "It is full."))
    call_command("sync_runbooks", str(library), stdout=StringIO())

    runbook = staff_api.get("/api/v1/runbooks/disk-full").json()
    revisions = staff_api.get("/api/v1/runbooks/disk-full/revisions").json()

    assert (runbook["title"], runbook["tags"], runbook["revision"]) == ("Disk full", ["disk"], 2)
    assert runbook["body"] == "## Symptoms\n\nIt is full.\n"
    assert [r["number"] for r in revisions] == [2, 1]
    assert "It is slow." in revisions[1]["source"]


def test_search_tag_and_archived_filters(staff_api, make_runbook):
    make_runbook("zeppelin-ops", title="Zeppelin operations", tags=["airship"])
    make_runbook("old-zeppelin", title="Old zeppelin", tags=["airship"], archived_at=timezone.now())

    def slugs(**params) -> list[str]:
        return [r["slug"] for r in staff_api.get("/api/v1/runbooks", params).json()]

    assert slugs(q="zeppelin") == ["zeppelin-ops"]
    assert slugs(tag="airship") == ["zeppelin-ops"]
    assert sorted(slugs(tag="airship", archived="true")) == ["old-zeppelin", "zeppelin-ops"]
    assert staff_api.get("/api/v1/runbooks/old-zeppelin").status_code == 200


def test_an_unknown_slug_is_a_404_in_the_envelope(staff_api):
    response = staff_api.get("/api/v1/runbooks/no-such-runbook")

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No Runbook matches the given query."


def test_runbooks_are_read_only_over_the_api(staff_api):
    response = staff_api.post("/api/v1/runbooks", {"slug": "x", "title": "X"}, format="json")

    assert response.status_code == 405


def test_the_openapi_schema_documents_the_runbook_endpoints(admin_client):
    schema = admin_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    paths = {"/api/v1/runbooks", "/api/v1/runbooks/{slug}", "/api/v1/runbooks/{slug}/revisions"}
    assert paths <= set(schema["paths"])
