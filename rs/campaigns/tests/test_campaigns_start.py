"""Starting a campaign (no worker runs here): one isolated rule and scope per version and repetition, the jobs of
the dataset's inputs ready at once; refusals through the service, the API and the admin name the field and write
nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from rs.campaigns import selectors, services
from rs.campaigns.api.serializers import CampaignOutputSerializer
from rs.campaigns.errors import InvalidCampaign
from rs.campaigns.models import Campaign, CampaignRun, CampaignVersion
from rs.campaigns.tests.campaign_support import olci_setup
from rs.catalog.choices import OPERATIONAL_SCOPE
from rs.catalog.storage.keys import product_key
from rs.production.choices import JobState, Priority
from rs.production.models import Job, ProductionRule
from rs.production.orders.services import order_create
from rs.production.orders.validation import OrderRequest

pytestmark = pytest.mark.django_db
URL = "/api/v1/campaigns/"


@pytest.fixture
def olci(tmp_path):
    return olci_setup(tmp_path)


@pytest.fixture
def operator(client):
    user = get_user_model().objects.create_user("ola", password="pw-ola-123", is_staff=True)
    client.force_login(user)
    return user


def start(olci, **overrides):
    request = {"name": "OL1 06.18", "dataset_id": olci.dataset.pk, "repetitions": 2,
               "versions": [{"processor_version": olci.version_a.pk},
                            {"processor_version": olci.version_b.pk, "label": "B",
                             "parameters": {"Sim_Memory_MB": "8"}}]}
    request.update(overrides)
    return services.campaign_start(request=services.CampaignRequest(**request))


def test_a_campaign_makes_one_disabled_rule_and_scope_per_version_and_repetition_with_ready_jobs(olci):
    campaign = start(olci)
    runs = list(CampaignRun.objects.filter(campaign=campaign).select_related("rule", "version"))
    assert [(r.version.label, r.repetition, r.scope) for r in runs] == [
        ("06.17-sim", 1, f"campaign-{campaign.pk}-v1-r1"), ("06.17-sim", 2, f"campaign-{campaign.pk}-v1-r2"),
        ("B", 1, f"campaign-{campaign.pk}-v2-r1"), ("B", 2, f"campaign-{campaign.pk}-v2-r2")]
    for run in runs:
        rule = run.rule
        assert (rule.name, rule.enabled, rule.output_scope, rule.publish_outputs, rule.priority) == (
            run.scope, False, run.scope, False, Priority.LOW)
        (job,) = Job.objects.filter(rule=rule)
        assert job.state == JobState.READY, job.reason
        assert job.members.get().product_id == olci.l0.id
    b_rule = runs[2].rule
    assert list(b_rule.parameters.values_list("name", "value")) == [("Sim_Memory_MB", "8")]
    assert b_rule.processor_version == olci.version_b
    assert campaign.template_rule == "demo-s3-ol1"
    assert campaign.tolerances["ignore"][:2] == ["*/productName", "*/creationTime"]


def test_campaign_rules_are_never_templates_of_orders(olci):
    start(olci)
    # the processor has one operational rule: an order still finds it without being told its name
    order, _ = order_create(request=OrderRequest(processor_version_id=olci.version_a.pk,
                                                 product_ids=[str(olci.l0.id)]))
    assert order.template_rule.name == "demo-s3-ol1"


def test_a_campaign_rule_cannot_be_enabled(olci):
    campaign = start(olci, repetitions=1)
    rule = ProductionRule.objects.get(campaign_run__campaign=campaign, campaign_run__version__position=0)
    rule.enabled = True
    with pytest.raises(Exception, match="runs a validation campaign"):
        rule.full_clean()


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"name": " "}, "name", "1 to 200 characters"),
    ({"dataset_id": 999999}, "dataset", "unknown reference dataset 999999"),
    ({"dataset_id": None}, "dataset", "required: the id of the reference dataset to run on"),
    ({"repetitions": 0}, "repetitions", "a whole number from 1 to 10"),
    ({"repetitions": 11}, "repetitions", "a whole number from 1 to 10"),
    ({"versions": []}, "versions", "at least one processor version to run"),
    ({"versions": [{"processor_version": 999999}]}, "versions", "#1: unknown processor version 999999"),
    ({"versions": [{"processor_version": "x"}]}, "versions", "#1: an object with the processor_version id"),
    ({"tolerances": {"time_s": -1}}, "tolerances", "time_s: a number >= 0, not -1"),
    ({"tolerances": {"slack": 1}}, "tolerances", "unknown key(s) slack"),
    ({"tolerances": {"ignore": "*/x"}}, "tolerances", "ignore: a list of field path patterns"),
    ({"rule_name": "nope"}, "rule", "unknown production rule 'nope'"),
])
def test_refusals_name_the_field_and_write_nothing(olci, overrides, field, message):
    rules = ProductionRule.objects.count()
    with pytest.raises(InvalidCampaign) as refused:
        start(olci, **overrides)
    assert refused.value.errors[field].startswith(message), refused.value.errors
    assert (Campaign.objects.count(), ProductionRule.objects.count(), Job.objects.count()) == (0, rules, 0)


def test_undeclared_parameters_labels_used_twice_and_mixed_processors_are_refused(olci):
    other = ProductionRule.objects.get(name="demo-s3-ol2").processor_version
    cases = [
        ([{"processor_version": olci.version_a.pk, "parameters": {"Nope": "1"}}],
         "#1: 'Nope' is not a Dyn_ProcParam of S3A_OL1 06.17-sim"),
        ([{"processor_version": olci.version_a.pk, "label": "X"},
          {"processor_version": olci.version_b.pk, "label": "X"}],
         "label(s) X used twice"),
        ([{"processor_version": olci.version_a.pk}, {"processor_version": other.pk}],
         "versions of one processor only are compared, not of S3A_OL1, S3A_OL2"),
    ]
    for versions, message in cases:
        with pytest.raises(InvalidCampaign) as refused:
            start(olci, versions=versions)
        assert refused.value.errors["versions"].startswith(message), refused.value.errors
    assert not Campaign.objects.exists() and not CampaignVersion.objects.exists()


def test_a_dataset_whose_inputs_trigger_nothing_is_refused_with_the_reason(olci):
    clutax = services.dataset_create(request=services.DatasetRequest(
        name="aux-only", input_filter="contains(Name,'OL_1_CLUTAX')"))
    with pytest.raises(InvalidCampaign, match=r"dataset: none of the 1 inputs makes a job of rule demo-s3-ol1 "
                                              r"\(S3A_OL_1_CLUTAX_.*: a OL_1_CLUTAX does not trigger demo-s3-ol1\)"):
        start(olci, dataset_id=clutax.pk)
    assert not Campaign.objects.exists()
    assert not ProductionRule.objects.exclude(output_scope=OPERATIONAL_SCOPE).exists()


def test_the_api_starts_lists_and_shows_a_campaign(client, olci, operator):
    created = client.post(URL, {"name": "api", "dataset": olci.dataset.pk, "repetitions": 1,
                                "versions": [{"processor_version": olci.version_a.pk},
                                             {"processor_version": olci.version_b.pk, "label": "B"}],
                                "tolerances": {"time_s": 1, "ignore": ["*/creationTime"]}},
                          content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["dataset"], body["state"], body["jobs_total"], body["jobs_open"]) == (
        "api", {"id": olci.dataset.pk, "name": "olci-l0", "version": 1}, "running", 2, 2)
    assert body["tolerances"] == {"time_s": 1.0, "number_abs": 0.0, "number_rel": 0.0, "ignore": ["*/creationTime"]}
    listed = client.get(URL).json()["results"]
    assert [c["id"] for c in listed] == [body["id"]]
    detail = client.get(f"{URL}{body['id']}/").json()
    assert [(v["label"], v["version"]) for v in detail["versions"]] == [("06.17-sim", "06.17-sim"), ("B", "06.18-sim")]
    assert [(r["version"], r["repetition"], r["jobs_total"]) for r in detail["runs"]] == [("06.17-sim", 1, 1),
                                                                                         ("B", 1, 1)]
    report = client.get(f"{URL}{body['id']}/report/").json()
    assert (report["state"], report["verdict"]) == ("running", "pending")
    assert [[j["verdict"] for j in r["jobs"]] for r in report["runs"]] == [["pending"], ["pending"]]


def test_the_api_answers_bad_input_with_400_and_the_field(client, olci, operator):
    refused = client.post(URL, {"name": "x", "dataset": olci.dataset.pk, "versions": [{"processor_version": 999999}]},
                          content_type="application/json")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert (error["code"], error["message"]) == ("invalid_campaign", "versions: #1: unknown processor version 999999")
    assert error["details"] == {"versions": ["#1: unknown processor version 999999"]}
    wrong_types = client.post(URL, {"name": "x", "dataset": "one", "versions": "all"}, content_type="application/json")
    assert wrong_types.status_code == 400
    assert client.get(f"{URL}999999/").status_code == 404
    assert client.get(f"{URL}999999/report/").json()["error"]["message"] == "no campaign 999999"
    assert client.get(f"{URL}abc/").status_code == 404
    assert not Campaign.objects.exists()


def test_only_operators_reach_campaigns(client, olci):
    assert client.get(URL).status_code in (401, 403)
    client.force_login(get_user_model().objects.create_user("rita", password="pw-rita-123"))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {}, content_type="application/json").status_code == 403


def test_the_admin_starts_a_campaign_through_the_service_and_shows_refusals(admin_client, olci):
    add = "/admin/campaigns/campaign/add/"
    refused = admin_client.post(add, {"name": "adm", "dataset": olci.dataset.pk, "repetitions": 1,
                                      "versions": "999999", "tolerances": ""})
    assert refused.status_code == 200
    assert "#1: unknown processor version 999999" in refused.content.decode()
    bad_json = admin_client.post(add, {"name": "adm", "dataset": olci.dataset.pk, "repetitions": 1,
                                       "versions": f"{olci.version_a.pk} {{not json", "tolerances": ""})
    assert "line 1: the parameters after the id must be a JSON object" in bad_json.content.decode()
    assert not Campaign.objects.exists()
    created = admin_client.post(add, {"name": "adm", "dataset": olci.dataset.pk, "repetitions": 1, "tolerances": "",
                                      "versions": f"{olci.version_a.pk}\n{olci.version_b.pk} "
                                                  '{"Sim_Duration_S": "1"}'})
    assert created.status_code == 302, created.content.decode()[:2000]
    campaign = Campaign.objects.get()
    assert [(v.label, v.parameters) for v in campaign.versions.all()] == [
        ("06.17-sim", {}), ("06.18-sim", {"Sim_Duration_S": "1"})]
    page = admin_client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    assert f"campaign-{campaign.pk}-v2-r1" in page and f"/api/v1/campaigns/{campaign.pk}/report/html/" in page


def test_a_page_of_campaigns_with_their_state_is_one_query(olci, django_assert_num_queries):
    for n in range(3):
        start(olci, name=f"c{n}", repetitions=1)
    with django_assert_num_queries(1):
        page = CampaignOutputSerializer(selectors.campaigns()[:50], many=True).data
    assert [(c["name"], c["state"], c["jobs_total"], c["jobs_open"], c["jobs_failed"]) for c in page] == [
        ("c2", "running", 2, 2, 0), ("c1", "running", 2, 2, 0), ("c0", "running", 2, 2, 0)]


def test_objects_of_another_scope_live_under_their_own_prefix():
    assert product_key(mission="S3", family="OLCI_L1", name="S3A_X.SEN3", suffix=".zip") == (
        "products/S3/OLCI_L1/S3A_X.SEN3.zip")
    assert product_key(mission="S3", family="OLCI_L1", name="S3A_X.SEN3", suffix=".zip", scope="campaign-4-v2-r1") == (
        "scoped/campaign-4-v2-r1/S3/OLCI_L1/S3A_X.SEN3.zip")


def test_the_rule_admin_shows_a_campaign_rules_scope_and_refuses_to_enable_it(admin_client, olci):
    campaign = start(olci, repetitions=1)
    rule = ProductionRule.objects.get(campaign_run__campaign=campaign, campaign_run__version__position=0)
    url = f"/admin/production/productionrule/{rule.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert f"campaign-{campaign.pk}-v1-r1" in page
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "area"}
    data.update({"enabled": "on", "priority_by_timeliness": "{}",
                 **{f"{prefix}-{key}": value for prefix in ("parameters", "time_windows", "recurring_windows")
                    for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))}})
    refused = admin_client.post(url, data)
    assert "runs a validation campaign (scope" in refused.content.decode()
    rule.refresh_from_db()
    assert rule.enabled is False
