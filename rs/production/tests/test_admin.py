"""The production admin: Task Table upload with precise form errors, version comparison, rule validation, the
"why is this job waiting" panel and job actions."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rs.production import services
from rs.production.models import Job, ProcessorVersion, ProductionRule
from rs.production.tests import builders
from rs.production.tests.builders import at, level
from rs.production.tests.tables import table_xml

pytestmark = pytest.mark.django_db

ADD = "/admin/production/processorversion/add/"


def upload(admin_client, data: bytes):
    return admin_client.post(ADD, {"table_file": SimpleUploadedFile("table.xml", data), "dialect": ""})


def test_uploading_a_task_table_adds_a_processor_version(admin_client):
    response = upload(admin_client, table_xml())
    version = ProcessorVersion.objects.get()
    assert response.status_code == 302 and response.url == "/admin/production/processorversion/"
    assert (version.processor.name, version.version, version.joborder_dialect) == ("TEST_L1", "1.0", "mmfi")
    page = admin_client.get(f"/admin/production/processorversion/{version.pk}/change/").content.decode()
    assert "LatestValCover(0, 60) DB" in page and "→ IW_GRDH_1S" in page


def test_a_malformed_upload_is_a_form_error_naming_the_element(admin_client):
    response = upload(admin_client, table_xml().replace(b"<File_Name>/bin/true</File_Name>", b""))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "table_file": ["Ipf_Task_Table/List_of_Pools/Pool[1]/List_of_Tasks/Task[1](T1)/File_Name: missing"]}
    assert ProcessorVersion.objects.count() == 0


def test_an_existing_version_is_a_form_error(admin_client):
    services.processor_import(data=table_xml())
    response = upload(admin_client, table_xml())
    assert response.context["adminform"].form.errors == {
        "table_file": ["TEST_L1 1.0 is already imported: a changed table needs a new <Version>"]}


def test_two_versions_are_compared_in_the_admin(admin_client):
    old = services.processor_import(data=table_xml(version="1.0"))
    new = services.processor_import(data=table_xml(version="2.0", extra_inputs=1))
    change_page = admin_client.get(f"/admin/production/processorversion/{new.pk}/change/").content.decode()
    diff_url = f"/admin/production/processorversion/{new.pk}/diff/?against={old.pk}"
    assert diff_url.replace("&", "&amp;") in change_page
    page = admin_client.get(diff_url).content.decode()
    assert "TEST_L1: 1.0 → 2.0" in page
    assert "<td>input</td><td>T1/E00</td><td>added</td>" in page
    redirect = admin_client.post("/admin/production/processorversion/", {
        "action": "compare_selected", "_selected_action": [old.pk, new.pk]})
    assert redirect.url == diff_url


def rule_form(version: ProcessorVersion, **changes: str) -> dict[str, str]:
    form = {"name": "rule-1", "enabled": "on", "processor_version": str(version.pk), "trigger": "event",
            "product_types": "IW_RAW__0S", "grouping": "product", "input_mode": "ALWAYS", "priority": "medium",
            "priority_by_timeliness": "{}", "sample_every_nth_datatake": "1", "mandatory_timeout_s": "21600",
            "settle_s": "0",
            "processing_station": "WILE",
            "parameters-TOTAL_FORMS": "1", "parameters-INITIAL_FORMS": "0", "parameters-0-position": "0",
            "parameters-0-name": "Mission_Id", "parameters-0-value": "{mission_id}",
            "time_windows-TOTAL_FORMS": "0", "time_windows-INITIAL_FORMS": "0",
            "recurring_windows-TOTAL_FORMS": "0", "recurring_windows-INITIAL_FORMS": "0"}
    form.update(changes)
    return form


def test_a_rule_is_edited_in_the_admin_and_validated(admin_client):
    version = services.processor_import(data=table_xml())
    url = "/admin/production/productionrule/add/"
    bad = admin_client.post(url, rule_form(version, **{
        "parameters-0-value": "{mission.__class__}", "grouping": "time_window",
        "priority_by_timeliness": '{"NRT": "urgent"}', "sensing_time_from": "IW_RAW__0A"}))
    assert bad.status_code == 200
    errors = bad.context["adminform"].form.errors
    assert set(errors) == {"window_s", "priority_by_timeliness", "sensing_time_from"}
    assert errors["sensing_time_from"] == ["Not an input type of TEST_L1 1.0: IW_RAW__0A."]
    assert "unknown placeholder {mission.__class__}" in str(bad.context["inline_admin_formsets"][0].formset.errors)
    good = admin_client.post(url, rule_form(version))
    assert good.status_code == 302
    assert list(ProductionRule.objects.get().parameters.values_list("name", "value")) == [
        ("Mission_Id", "{mission_id}")]


def test_a_recurring_window_is_edited_in_the_admin_and_its_cron_validated(admin_client):
    version = services.processor_import(data=table_xml())
    url = "/admin/production/productionrule/add/"
    windows = {"recurring_windows-TOTAL_FORMS": "1", "recurring_windows-0-cron": "0 25 * * *",
               "recurring_windows-0-duration_s": "3600"}
    bad = admin_client.post(url, rule_form(version, **windows))
    assert bad.status_code == 200
    formset = next(f.formset for f in bad.context["inline_admin_formsets"] if f.formset.prefix == "recurring_windows")
    assert formset.errors == [{"cron": ["hour field '25': values must be within 0-23"]}]
    assert ProductionRule.objects.count() == 0
    good = admin_client.post(url, rule_form(version, **{**windows, "recurring_windows-0-cron": "0 8 * * MON-FRI"}))
    assert good.status_code == 302
    assert list(ProductionRule.objects.get().recurring_windows.values_list("cron", "duration_s")) == [
        ("0 8 * * MON-FRI", 3600)]


def test_the_job_page_says_why_it_waits_and_jobs_can_be_cancelled(admin_client, deliver):
    version = services.processor_import(data=table_xml())
    builders.rule(version, name="r", product_types="IW_RAW__0S")
    deliver(level("IW_RAW__0S", start=at(0), stop=at(25)))
    job = Job.objects.get()
    page = admin_client.get(f"/admin/production/job/{job.pk}/change/").content.decode()
    assert "waiting for AUX_CAL (mandatory) — gives up at" in page
    assert "1: LatestValCover AUX_CAL" in page and "→ 0 found" in page
    response = admin_client.post("/admin/production/job/", {"action": "cancel_selected",
                                                             "_selected_action": [job.pk]}, follow=True)
    assert "1 job(s) cancelled." in response.content.decode()
    assert Job.objects.get().state == "cancelled"
    response = admin_client.post("/admin/production/job/", {"action": "retry_selected",
                                                             "_selected_action": [job.pk]}, follow=True)
    assert "cancelled → retrying is not allowed" in response.content.decode()
