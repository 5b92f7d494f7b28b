from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_the_schema_generates_without_warnings_and_documents_the_customer_api(capsys):
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=(out := StringIO()))
    schema = out.getvalue()
    for path in ("/ingest:", "/insights:", "/api/v1/mentions:"):
        assert path in schema
    assert "X-API-Key" in schema


@pytest.mark.django_db
def test_the_api_docs_load_their_assets_locally(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    page = client.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets, page
    assert not [a for a in assets if a.startswith(("http://", "https://", "//"))]
    for asset in assets:
        if asset.endswith((".js", ".css")):
            assert client.get(asset).status_code == 200, asset
