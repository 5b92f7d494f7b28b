from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin

from ingestion.models import ApiKey, Customer
from slo.models import Snapshot

MY_APPS = {"ingestion", "slo", "runbooks", "dashboards"}


def test_every_model_of_these_apps_has_an_admin(db):
    missing = [
        m._meta.label
        for m in apps.get_models()
        if m._meta.app_label in MY_APPS and not admin.site.is_registered(m)
    ]
    assert missing == []


@pytest.mark.parametrize("app_label", sorted(MY_APPS))
def test_each_changelist_opens_and_searches(admin_client, app_label):
    for model in apps.get_app_config(app_label).get_models():
        model_admin = admin.site._registry[model]
        url = f"/admin/{app_label}/{model._meta.model_name}/"
        assert admin_client.get(url).status_code == 200, url
        if model_admin.search_fields:
            assert admin_client.get(url, {"q": "x"}).status_code == 200, url


def test_evaluate_now_stores_a_snapshot_of_the_chosen_slo(admin_client, make_slo):
    slo = make_slo()
    response = admin_client.post(
        "/admin/slo/slo/", {"action": "evaluate_now", "_selected_action": [slo.pk]}, follow=True
    )
    assert response.status_code == 200
    assert Snapshot.objects.filter(slo=slo).exists()
    assert f"{slo}: no_data" in response.content.decode()


def test_revoke_api_keys_from_the_admin(admin_client, db):
    customer = Customer.objects.create(name="acme")
    key, _ = ApiKey.issue(customer)
    admin_client.post("/admin/ingestion/apikey/",
                      {"action": "revoke", "_selected_action": [key.pk]})  # fmt: skip
    key.refresh_from_db()
    assert key.revoked_at is not None
