from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from rs.catalog.models import Product
from rs.catalog.tests import factories
from rs.lifecycle import selectors, services
from rs.lifecycle.models import RetentionPolicy

pytestmark = pytest.mark.django_db


def test_an_invalid_regex_is_refused_with_the_reason():
    policy = RetentionPolicy(position=5, name="broken", name_regex="S1[AB", retention_days=3)
    with pytest.raises(ValidationError) as refused:
        policy.full_clean()
    assert "not a valid regular expression: unterminated character set" in str(refused.value)


def test_the_admin_refuses_an_invalid_regex_and_saves_nothing(client):
    get_user_model().objects.create_superuser("root", "r@example.org", "x-root-password")
    client.login(username="root", password="x-root-password")
    before = RetentionPolicy.objects.count()
    page = client.post("/admin/lifecycle/retentionpolicy/add/", {
        "position": 1, "name": "bad", "name_regex": "(unclosed", "retention_days": 3, "action": "offline",
        "enabled": "on"})
    assert page.status_code == 200
    assert "not a valid regular expression: missing ), unterminated subpattern" in page.content.decode()
    assert RetentionPolicy.objects.count() == before


def test_a_rule_behind_a_broader_one_is_reported_unreachable():
    RetentionPolicy.objects.all().delete()
    broad = RetentionPolicy.objects.create(position=1, name="all-s1-l1", family="L1_SLICE", retention_days=7)
    narrow = RetentionPolicy.objects.create(position=2, name="grd-only", family="L1_SLICE", name_regex="S1A_IW_GRDH",
                                            retention_days=3)
    prefix = RetentionPolicy.objects.create(position=3, name="s2", name_regex="S2.*", retention_days=3)
    longer = RetentionPolicy.objects.create(position=4, name="s2b", name_regex="S2B_MSIL1C", retention_days=3)
    RetentionPolicy.objects.create(position=5, name="other-family", family="L2_SLICE", retention_days=3)
    found = {(s.policy.name, s.shadowed_by.name) for s in selectors.policies_shadowed()}
    assert found == {(narrow.name, broad.name), (longer.name, prefix.name)}


def test_the_reference_defaults_have_no_unreachable_rule():
    assert selectors.policies_shadowed() == []
    assert RetentionPolicy.objects.count() == 98


def test_changing_a_policy_recomputes_existing_eviction_dates(django_capture_on_commit_callbacks):
    product = factories.product(family="L1_SLICE")
    assert product.eviction_date == product.publication_date + timedelta(days=7)
    RetentionPolicy.objects.filter(name="ref-064-l1_slice").update(retention_days=2)
    services.retention_policies_changed()
    assert services.eviction_dates_recompute() == 1
    assert Product.objects.get(pk=product.id).eviction_date == product.publication_date + timedelta(days=2)
    RetentionPolicy.objects.filter(name="ref-064-l1_slice").update(retention_days=None)
    services.retention_policies_changed()
    assert services.eviction_dates_recompute() == 1
    assert Product.objects.get(pk=product.id).eviction_date is None
