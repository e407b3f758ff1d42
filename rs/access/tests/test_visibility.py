"""Visibility rules → VisibilityScope → a Django Q on catalogue products; download rights."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.test import RequestFactory

from rs.access import services
from rs.access.authentication import search_principal
from rs.access.choices import AuthMethod
from rs.access.errors import CredentialsRequired
from rs.access.models import VisibilityRule
from rs.access.principals import Principal
from rs.access.selectors import download_allowed, visibility_filter
from rs.access.visibility import Grant, VisibilityScope
from rs.catalog.models import DeletedProduct, Product
from rs.catalog.tests import factories

pytestmark = pytest.mark.django_db


def principal(*, user_id=1, roles=("user",), groups=()):
    return Principal(user_id=user_id, username=f"u{user_id}", roles=frozenset(roles), groups=frozenset(groups),
                     client_id="cdse-public", token_id="t", method=AuthMethod.BEARER)


@pytest.fixture
def catalog(db):
    """One product per (mission, type): S1 IW_GRDH_1S, S1 IW_SLC__1S, S2 S2MSI1C, S2 S2MSI2A, S3 OL_1_EFR___."""
    made = {}
    for mission, product_type in [("S1", "IW_GRDH_1S"), ("S1", "IW_SLC__1S"), ("S2", "S2MSI1C"), ("S2", "S2MSI2A"),
                                  ("S3", "OL_1_EFR___")]:
        made[product_type] = factories.product(mission=mission, product_type=product_type)
    return made


def visible(scope):
    return sorted(Product.objects.filter(scope.q()).values_list("product_type", flat=True))


def rule(**fields):
    return services.visibility_rule_save(rule=VisibilityRule(**fields))


def test_without_rules_everybody_sees_everything(catalog):
    scope = visibility_filter(None)
    assert scope == VisibilityScope(everything=True)
    assert scope.q() == Q()
    assert visible(scope) == ["IW_GRDH_1S", "IW_SLC__1S", "OL_1_EFR___", "S2MSI1C", "S2MSI2A"]


def test_with_default_visibility_none_a_user_without_rules_sees_nothing(catalog, settings):
    settings.RS_ACCESS_DEFAULT_VISIBILITY = "none"
    scope = visibility_filter(principal())
    assert scope.nothing
    assert visible(scope) == []


def test_a_group_rule_limits_its_members_to_the_allowed_pairs(catalog):
    partners = Group.objects.create(name="partners")
    rule(group=partners, mission="S2", product_types="S2MSI2A|S2MSI1C")
    member = principal(groups=["partners"])
    assert visibility_filter(member) == VisibilityScope(everything=False,
                                                        allowed=(Grant("S2", "S2MSI2A|S2MSI1C"),))
    assert visible(visibility_filter(member)) == ["S2MSI1C", "S2MSI2A"]
    assert visible(visibility_filter(principal(groups=["others"]))) == [
        "IW_GRDH_1S", "IW_SLC__1S", "OL_1_EFR___", "S2MSI1C", "S2MSI2A"]


def test_rules_for_everybody_add_up_with_user_rules(catalog, alice):
    rule(mission="S1")
    rule(user=alice, mission="S3", product_types="OL_.*")
    assert visible(visibility_filter(None)) == ["IW_GRDH_1S", "IW_SLC__1S"]
    assert visible(visibility_filter(principal(user_id=alice.pk))) == ["IW_GRDH_1S", "IW_SLC__1S", "OL_1_EFR___"]


def test_deny_rules_win_and_operators_see_everything(catalog):
    rule(mission="S1", product_types="IW_SLC__1S", allow=False)
    assert visible(visibility_filter(None)) == ["IW_GRDH_1S", "OL_1_EFR___", "S2MSI1C", "S2MSI2A"]
    assert visible(visibility_filter(principal(roles=("user", "operator")))) == [
        "IW_GRDH_1S", "IW_SLC__1S", "OL_1_EFR___", "S2MSI1C", "S2MSI2A"]


def test_a_deny_rule_without_condition_hides_everything(catalog):
    rule(allow=False)
    assert visible(visibility_filter(principal())) == []


def test_literal_type_lists_compile_to_an_in_and_patterns_to_a_regex():
    assert Grant("S2", "S2MSI2A|S2MSI1C").q("") == Q(mission="S2") & Q(product_type__in=["S2MSI1C", "S2MSI2A"])
    assert Grant("S1", "IW_.*").q("product__") == Q(product__mission="S1") & Q(
        product__product_type__regex="^(?:IW_.*)$")


def test_the_scope_applies_to_deleted_products_too(catalog):
    rule(mission="S1")
    assert list(DeletedProduct.objects.filter(visibility_filter(None).q())) == []


def test_the_rules_are_read_once_then_served_from_the_cache(catalog, django_assert_num_queries, on_commit):
    with on_commit():
        rule(mission="S1")
    with django_assert_num_queries(1):
        visibility_filter(principal())
    with django_assert_num_queries(0):
        visibility_filter(principal())
    with django_assert_num_queries(1):  # the scope joins the product query: still one query
        visible(visibility_filter(principal()))
    with on_commit():
        rule(mission="S2")  # a change drops the cached rules
    assert visible(visibility_filter(principal())) == ["IW_GRDH_1S", "IW_SLC__1S", "S2MSI1C", "S2MSI2A"]


def test_a_scope_is_memoised_in_the_process_under_the_rights_version(catalog, django_assert_num_queries,
                                                                      on_commit):
    from django.core.cache import cache

    from rs.access.constants import RIGHTS_VERSION_KEY, VISIBILITY_RULES_KEY

    with on_commit():
        rule(mission="S1")
    visibility_filter(principal())
    cache.delete(VISIBILITY_RULES_KEY)  # the memo, not the cached rules, answers while the version is unchanged
    with django_assert_num_queries(0):
        scope = visibility_filter(principal())
    assert visible(scope) == ["IW_GRDH_1S", "IW_SLC__1S"]
    with on_commit():
        rule(mission="S3")  # a change bumps the version: the memo is stale at once
    assert visible(visibility_filter(principal())) == ["IW_GRDH_1S", "IW_SLC__1S", "OL_1_EFR___"]
    version = cache.get(RIGHTS_VERSION_KEY)
    cache.clear()  # an emptied cache starts another version, never one a memo was made under
    VisibilityRule.objects.filter(mission="S3").delete()  # behind the services' back, seen after the clear
    assert visible(visibility_filter(principal())) == ["IW_GRDH_1S", "IW_SLC__1S"]
    assert cache.get(RIGHTS_VERSION_KEY) not in (None, version, version + 1)


def test_search_may_be_anonymous_only_when_configured(settings, catalog):
    request = RequestFactory().get("/odata/v1/Products")
    request.user = AnonymousUser()
    assert search_principal(request) is None
    settings.RS_PRIP_ANONYMOUS_SEARCH = False
    with pytest.raises(CredentialsRequired):
        search_principal(RequestFactory().get("/odata/v1/Products"))
    assert visibility_filter(None).nothing


def test_download_needs_a_principal_with_the_user_role_and_the_product_in_scope(catalog):
    rule(mission="S1", product_types="IW_SLC__1S", allow=False)
    grd, slc = catalog["IW_GRDH_1S"], catalog["IW_SLC__1S"]
    assert download_allowed(None, grd) is False
    assert download_allowed(principal(), grd) is True
    assert download_allowed(principal(), slc) is False
    assert download_allowed(principal(roles=()), grd) is False
    assert download_allowed(principal(roles=("user", "operator")), slc) is True


def test_an_invalid_regex_or_a_rule_for_user_and_group_is_refused(alice):
    with pytest.raises(ValidationError) as bad_regex:
        rule(product_types="IW_[GRD")
    assert bad_regex.value.message_dict["product_types"] == [
        "not a valid regular expression: unterminated character set at position 3"]
    with pytest.raises(ValidationError) as both:
        rule(user=alice, group=Group.objects.create(name="g"))
    assert both.value.messages == ["A rule names a user or a group, not both."]
