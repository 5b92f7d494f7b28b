from __future__ import annotations

import pytest

from runbooks.models import Runbook

pytestmark = pytest.mark.django_db


def test_admin_shows_runbooks_and_their_revisions_read_only(admin_client):
    runbook = Runbook.objects.get(slug="queue-backup")

    assert admin_client.get("/admin/runbooks/runbook/").status_code == 200
    page = admin_client.get(f"/admin/runbooks/runbook/{runbook.pk}/change/")
    assert page.status_code == 200
    assert 'name="title"' not in page.content.decode()  # no editable field: git is the source
    assert admin_client.get("/admin/runbooks/runbook/add/").status_code == 403
    assert admin_client.get(f"/admin/runbooks/runbook/{runbook.pk}/delete/").status_code == 403
