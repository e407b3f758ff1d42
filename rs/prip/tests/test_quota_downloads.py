"""Per-user quotas on downloads (prip-odata.md §18, §20 case 33): requests per minute, bytes per period, concurrent
downloads; 429 with Retry-After; slots freed when a stream ends or is abandoned, expiring by themselves after a
redirect; limits edited in the admin apply at once. Counters are in the suite's Redis."""

from __future__ import annotations

import json
import random
import time
from typing import Any

import pytest
from django.conf import settings
from django.core.signals import request_finished
from django.db import close_old_connections

from rs.access.authentication import authenticate_request
from rs.prip.download.views import product_value
from rs.subscriptions.tests.support import (  # noqa: F401 - fixtures
    alice_fixture,
    basic_memo_fixture,
    bearer,
    bob_fixture,
    fast_passwords_fixture,
    filesystem_store_fixture,
    public_client_fixture,
    quicklook_add,
    stored_product,
)

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024
DATA = random.Random(33).randbytes(3 * MIB)


@pytest.fixture
def limits(django_capture_on_commit_callbacks: Any) -> Any:
    """Edit a UserLimits row as the admin does (the cache is told once the transaction commits)."""
    from rs.subscriptions import services
    from rs.subscriptions.models import UserLimits

    def edit(user: Any = None, **values: Any) -> Any:
        row = UserLimits.objects.filter(user=user).first() or UserLimits(user=user)
        for name, value in values.items():
            setattr(row, name, value)
        with django_capture_on_commit_callbacks(execute=True):
            return services.limits_save(limits=row)

    return edit


@pytest.fixture
def stored(filesystem_store: Any) -> Any:
    return stored_product("S1A_IW_GRDH_1SDV_QUOTA.SAFE", DATA)


def url(stored: Any) -> str:
    return f"/odata/v1/Products({stored.product.id})/$value"


def abandon(response: Any) -> None:
    """What the WSGI server does when the client goes away: close the response of a view called directly (the
    test's database connection must survive the request_finished signal, as the test client arranges for the
    streams it reads to the end)."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def same_minute() -> None:
    """Request counters are per clock minute: start a counting test well inside one."""
    if time.time() % 60 > 50:
        time.sleep(60.5 - time.time() % 60)


def refusal(response: Any) -> tuple[int, str, int]:
    return response.status_code, json.loads(response.content)["error"]["code"], int(response["Retry-After"])


def test_beyond_the_requests_per_minute_it_is_a_429_until_the_next_minute(client, alice, bob, public_client, stored,
                                                                         limits):
    limits(alice, requests_per_minute=3)
    same_minute()
    answers = [*(client.head(url(stored), **bearer(alice)) for _ in range(3)), client.get(url(stored), **bearer(alice))]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    status, code, retry_after = refusal(answers[3])
    assert (status, code) == (429, "TooManyRequests") and 1 <= retry_after <= 60
    assert json.loads(answers[3].content)["error"]["message"] == "More than 3 requests in one minute."
    assert client.head(url(stored), **bearer(bob)).status_code == 200  # bob has the default's 2000


def test_the_byte_quota_charges_a_stream_and_refunds_what_an_abandoned_one_did_not_send(
        client, rf, alice, public_client, stored, limits):
    limits(alice, download_bytes=len(DATA) + MIB + 100, download_period_days=30)
    # a download read for 1 MiB, then abandoned, is charged 1 MiB only
    first = product_value(rf.get(url(stored), **bearer(alice)), key=str(stored.product.id))
    assert len(next(iter(first.streaming_content))) == MIB
    abandon(first)
    second = client.get(url(stored), **bearer(alice))
    assert second.status_code == 200
    assert len(b"".join(second.streaming_content)) == len(DATA)
    # now 4 MiB of 4 MiB + 100 bytes are used: the next one is refused until the period ends
    third = client.get(url(stored), **bearer(alice))
    status, code, retry_after = refusal(third)
    assert (status, code) == (429, "TooManyRequests") and 1 <= retry_after <= 30 * 86400
    assert json.loads(third.content)["error"]["message"] == (
        f"The download quota of {len(DATA) + MIB + 100} bytes per 30 days is used up ({MIB + len(DATA)} bytes used "
        f"in the last 30 days, {len(DATA)} asked).")
    # HEAD and quicklooks are not charged
    quicklook_add(stored.product, b"\xff\xd8\xff" + b"q" * 100)
    assert client.head(url(stored), **bearer(alice)).status_code == 200
    assert client.get(f"/odata/v1/Products({stored.product.id})/Quicklooks('quick-look.jpg')/$value",
                      **bearer(alice)).status_code == 200


DAY = 86400.0
T0 = 1_717_200_000.0 - 1_717_200_000.0 % DAY + 3600  # 2024-06-01T01:00Z


def test_the_byte_quota_is_over_a_rolling_period_of_days(alice, public_client, rf, limits):
    from rs.subscriptions.errors import QuotaExceeded
    from rs.subscriptions.quotas import download_admit

    limits(alice, download_bytes=100, download_period_days=30, concurrent_downloads=None)
    principal = authenticate_request(rf.get("/", **bearer(alice)))
    download_admit(principal=principal, size=60, hold_s=1, now=T0)  # day 0
    download_admit(principal=principal, size=30, hold_s=1, now=T0 + 10 * DAY)  # day 10
    with pytest.raises(QuotaExceeded) as refused:  # day 20: 90 used in the last 30 days
        download_admit(principal=principal, size=20, hold_s=1, now=T0 + 20 * DAY + 7200)
    # day 0's 60 bytes leave the window at the midnight that starts day 30
    assert refused.value.retry_after_s == 10 * DAY - 3 * 3600
    assert str(refused.value) == ("The download quota of 100 bytes per 30 days is used up (90 bytes used in the last "
                                  "30 days, 20 asked).")
    with pytest.raises(QuotaExceeded):  # the last second of day 29: still inside
        download_admit(principal=principal, size=20, hold_s=1, now=T0 - 3600 + 30 * DAY - 1)
    download_admit(principal=principal, size=20, hold_s=1, now=T0 + 30 * DAY)  # day 30: 30 + 20
    with pytest.raises(QuotaExceeded) as refused:  # day 39: 50 used, 60 asked; day 10's 30 leave on day 40
        download_admit(principal=principal, size=60, hold_s=1, now=T0 + 39 * DAY)
    assert refused.value.retry_after_s == DAY - 3600
    download_admit(principal=principal, size=60, hold_s=1, now=T0 + 40 * DAY)
    with pytest.raises(QuotaExceeded) as too_big:
        download_admit(principal=principal, size=101, hold_s=1, now=T0 + 400 * DAY)
    assert str(too_big.value) == ("The product (101 bytes) is larger than the whole download quota of 100 bytes per "
                                  "30 days.")
    assert too_big.value.retry_after_s == 30 * DAY


def test_a_download_admission_reads_only_the_buckets_of_its_period(alice, public_client, rf, limits):
    from datetime import date, timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from rs.subscriptions.models import DownloadUsage
    from rs.subscriptions.quotas import download_admit, download_usage_expire, usage_owner
    from rs.subscriptions.selectors import download_usage_since

    limits(alice, download_bytes=10**12, download_period_days=7, concurrent_downloads=None)
    principal = authenticate_request(rf.get("/", **bearer(alice)))
    owner = usage_owner(principal)
    today = date(2024, 6, 1)
    DownloadUsage.objects.bulk_create(DownloadUsage(owner=owner, day=today - timedelta(days=n), bytes=1000)
                                      for n in range(1, 731))  # two years of history
    download_admit(principal=principal, size=1, hold_s=1, now=T0)  # the limits are now cached
    with CaptureQueriesContext(connection) as queries:
        download_admit(principal=principal, size=5, hold_s=1, now=T0)
    statements = [q["sql"].split()[0] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    # one transaction whose commit does not wait for the disk: today's UPDATE, then the period's rows (on
    # PostgreSQL one statement, the UPDATE in a WITH)
    assert statements == (["WITH"] if connection.vendor == "postgresql" else ["UPDATE", "SELECT"])
    assert "set_config('synchronous_commit', 'off', true)" in queries.captured_queries[0]["sql"] or (
        connection.vendor != "postgresql")
    assert download_usage_since(owner=owner, since=today - timedelta(days=6)) == [
        *((today - timedelta(days=n), 1000) for n in range(6, 0, -1)), (today, 6)]
    # the daily task drops what no period reaches any more (the longest period: the default 30 days)
    assert download_usage_expire(now=T0) == 730 - 30
    assert DownloadUsage.objects.filter(owner=owner).count() == 31


def test_a_stream_holds_its_slot_until_it_ends(client, rf, alice, public_client, stored, limits):
    limits(alice, concurrent_downloads=1)
    running = client.get(url(stored), **bearer(alice))
    refused = client.get(url(stored), **bearer(alice))
    status, code, retry_after = refusal(refused)
    assert (status, code) == (429, "TooManyRequests") and 1 <= retry_after <= 120
    assert json.loads(refused.content)["error"]["message"] == (
        "1 downloads are already running (the maximum at a time).")
    assert len(b"".join(running.streaming_content)) == len(DATA)  # read to the end: closed
    after = product_value(rf.get(url(stored), **bearer(alice)), key=str(stored.product.id))
    assert after.status_code == 200
    abandon(after)  # before the first byte: the slot is free again
    assert client.get(url(stored), **bearer(alice)).status_code == 200


def test_a_redirect_slot_expires_by_itself(alice, public_client, rf, limits):
    from rs.subscriptions.errors import QuotaExceeded
    from rs.subscriptions.quotas import download_admit

    limits(alice, concurrent_downloads=1)
    principal = authenticate_request(rf.get("/", **bearer(alice)))
    download_admit(principal=principal, size=10, hold_s=1)
    with pytest.raises(QuotaExceeded) as refused:
        download_admit(principal=principal, size=10, hold_s=1)
    assert refused.value.retry_after_s == 1
    time.sleep(1.2)
    assert download_admit(principal=principal, size=10, hold_s=1).slot_key is not None


@pytest.mark.skipif(settings.RS_STORAGE != "s3", reason="redirects need S3 storage")
def test_an_s3_redirect_takes_a_slot_for_the_time_of_the_transfer(client, alice, public_client, limits):
    limits(alice, concurrent_downloads=1)
    stored = stored_product("S1A_IW_GRDH_1SDV_REDIRECT.SAFE", b"r" * 1000)
    assert client.get(url(stored), **bearer(alice)).status_code == 307
    status, _, retry_after = refusal(client.get(url(stored), **bearer(alice)))
    assert status == 429 and 1 <= retry_after <= 5  # 1000 bytes at 20 MB/s: the 5 s minimum


@pytest.mark.skipif(settings.RS_STORAGE != "s3", reason="redirects need S3 storage")
def test_an_s3_redirect_is_charged_its_content_length_or_its_range_when_answered(client, rf, alice, public_client,
                                                                                 limits):
    from rs.subscriptions.quotas import usage_owner
    from rs.subscriptions.selectors import download_usage_since

    limits(alice, download_bytes=2500, download_period_days=30, concurrent_downloads=None)
    stored = stored_product("S1A_IW_GRDH_1SDV_CHARGED.SAFE", b"c" * 1000)
    headers = bearer(alice)
    assert client.get(url(stored), **headers).status_code == 307  # 1000
    assert client.get(url(stored), HTTP_RANGE="bytes=0-99", **headers).status_code == 307  # 100
    assert client.head(url(stored), **headers).status_code == 200  # nothing
    assert client.get(url(stored), **headers).status_code == 307  # 1000
    owner = usage_owner(authenticate_request(rf.get("/", **headers)))
    assert [amount for _, amount in download_usage_since(owner=owner, since=stored.product.created_at.date())] == [
        2100]
    refused = client.get(url(stored), **headers)
    assert refusal(refused)[:2] == (429, "TooManyRequests")
    assert json.loads(refused.content)["error"]["message"] == (
        "The download quota of 2500 bytes per 30 days is used up (2100 bytes used in the last 30 days, 1000 asked).")
    # the refused one was given back: a range that fits still passes
    assert client.get(url(stored), HTTP_RANGE="bytes=0-399", **headers).status_code == 307


@pytest.mark.skipif(settings.RS_STORAGE != "s3", reason="redirects need S3 storage")
def test_a_redirect_reads_the_product_and_charges_its_bytes_in_one_statement_each(client, alice, public_client,
                                                                                   limits, django_assert_num_queries):
    limits(alice, download_bytes=10**9, download_period_days=30, concurrent_downloads=4)
    stored = stored_product("S1A_IW_GRDH_1SDV_STATEMENTS.SAFE", b"s" * 100)
    headers = bearer(alice)
    assert client.get(url(stored), **headers).status_code == 307  # limits memoised, today's bucket made
    with django_assert_num_queries(2) as queries:  # the product by id; today's charge with the period's buckets
        assert client.get(url(stored), **headers).status_code == 307
    assert queries.captured_queries[1]["sql"].startswith("WITH relaxed AS")
    limits(alice, download_bytes=None)
    limits(None, download_bytes=None)  # (a user's empty field takes the default row's)
    client.get(url(stored), **headers)
    with django_assert_num_queries(1):  # no byte quota: the product only
        assert client.get(url(stored), **headers).status_code == 307


def test_limits_come_from_the_default_row_and_a_users_row_overrides_field_by_field(alice, bob, limits):
    from rs.subscriptions.limits import CDSE_LIMITS, limits_for

    assert limits_for(user_id=alice.pk) == CDSE_LIMITS  # the migration's default row
    limits(None, requests_per_minute=100, concurrent_downloads=None)
    limits(alice, concurrent_downloads=2)
    assert (limits_for(user_id=alice.pk).requests_per_minute, limits_for(user_id=alice.pk).concurrent_downloads,
            limits_for(user_id=bob.pk).concurrent_downloads) == (100, 2, None)


def test_the_admin_edits_the_default_limits_and_they_apply_at_once(client, admin_client, alice, public_client,
                                                                    stored, django_capture_on_commit_callbacks):
    from rs.subscriptions.models import UserLimits

    same_minute()
    assert client.head(url(stored), **bearer(alice)).status_code == 200  # the old limits are now memoised
    default = UserLimits.objects.get(user__isnull=True)
    form = {"user": "", "concurrent_downloads": "4", "download_bytes": "", "download_period_days": "30",
            "requests_per_minute": "2", "running_subscriptions": "1", "total_subscriptions": "10",
            "subscription_queue_length": "100000", "subscription_read_max": "20"}
    with django_capture_on_commit_callbacks(execute=True):
        saved = admin_client.post(f"/admin/subscriptions/userlimits/{default.pk}/change/", form)
    assert saved.status_code == 302
    assert client.head(url(stored), **bearer(alice)).status_code == 200
    assert client.get(url(stored), **bearer(alice)).status_code == 429  # the third request of this minute
    too_many = admin_client.post(f"/admin/subscriptions/userlimits/{default.pk}/change/",
                                 {**form, "concurrent_downloads": "65"})
    assert too_many.status_code == 200 and b"less than or equal to 64" in too_many.content
