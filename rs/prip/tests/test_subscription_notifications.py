"""Notifications of subscriptions from real catalog events (the consumer run as the workers run it): a pull
subscription receives exactly the products its filter matches, Read/Ack semantics, the maximum queue length, the
payload stripped after three days, deleted and modified events, paused subscriptions, visibility, query counts."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from rs.access import services as access_services
from rs.access.models import VisibilityRule
from rs.catalog import services as catalog_services
from rs.catalog.choices import DeletionCause, ProcessingLevel, ProductFamily
from rs.catalog.storage.keys import product_key
from rs.subscriptions.tests.support import (  # noqa: F401 - fixtures
    alice_fixture,
    basic_memo_fixture,
    bearer,
    bob_fixture,
    events_deliver,
    fast_passwords_fixture,
    public_client_fixture,
    user_create,
)

pytestmark = pytest.mark.django_db

ROOT = "/odata/v1"
SLC_FILTER = ("Collection/Name eq 'SENTINEL-1' and Attributes/OData.CSC.StringAttribute/any(att:att/Name eq "
              "'productType' and att/OData.CSC.StringAttribute/Value eq 'IW_SLC__1S') and "
              "ContentDate/Start ge 2024-06-01T00:00:00Z")
START = datetime(2024, 6, 10, tzinfo=UTC)
ENVELOPE = ["@odata.context", "SubscriptionEvent", "ProductId", "SubscriptionId", "NotificationDate", "AckId"]


def register(name: str, *, mission: str = "S1", product_type: str = "IW_SLC__1S", start: datetime = START,
             publish: bool = True, family: str = ProductFamily.S1_L1_SLICE, **attributes: Any) -> Any:
    metadata = catalog_services.ProductMetadata(
        mission=mission, platform="A", family=family, product_type=product_type, level=ProcessingLevel.L1,
        content_start=start, content_end=start + timedelta(seconds=25),
        attributes={"productType": product_type, **attributes})
    return catalog_services.product_register(
        name=name, metadata=metadata, content_length=1234, publish=publish,
        storage_key=product_key(mission=mission, family=family, name=name, suffix=".zip"))


def subscribe(client: Any, user: Any, **body: Any) -> str:
    response = client.post(f"{ROOT}/Subscriptions", json.dumps({"FilterParam": SLC_FILTER, **body}),
                           content_type="application/json", **bearer(user))
    assert response.status_code == 201, response.content
    return str(response.json()["Id"])


def read(client: Any, user: Any, subscription_id: str, top: int | None = 20) -> Any:
    query = f"?$top={top}" if top is not None else ""
    return client.get(f"{ROOT}/Subscriptions({subscription_id})/Read{query}", **bearer(user))


def ack(client: Any, user: Any, subscription_id: str, ack_id: str) -> Any:
    return client.post(f"{ROOT}/Subscriptions({subscription_id})/Ack?$ackid={ack_id}", **bearer(user))


@pytest.fixture
def pull(client: Any, alice: Any, public_client: Any) -> str:
    return subscribe(client, alice)


def test_a_pull_subscription_receives_exactly_the_products_its_filter_matches(client, alice, pull):
    wanted = [register(f"S1A_IW_SLC__1SDV_WANTED_{i}.SAFE", start=START + timedelta(hours=i)) for i in range(3)]
    register("S1A_IW_GRDH_1SDV_OTHER_TYPE.SAFE", product_type="IW_GRDH_1S")
    register("S2A_MSIL1C_OTHER_MISSION.SAFE", mission="S2", product_type="S2MSI1C",
             family=ProductFamily.S2_USER_PRODUCT)
    register("S1A_IW_SLC__1SDV_TOO_OLD.SAFE", start=datetime(2024, 5, 31, tzinfo=UTC))
    register("S1A_IW_SLC__1SDV_UNPUBLISHED.SAFE", publish=False)
    events_deliver()
    items = read(client, alice, pull).json()
    assert [item["ProductName"] for item in items] == [p.name for p in wanted]
    first = items[0]
    assert list(first) == ["@odata.context", "SubscriptionEvent", "ProductId", "ProductName", "SubscriptionId",
                           "NotificationDate", "AckId", "value"]
    assert (first["@odata.context"], first["SubscriptionEvent"], first["ProductId"], first["SubscriptionId"]) == (
        "$metadata#Notification/$entity", "created", str(wanted[0].id), pull)
    value = first["value"]
    assert value["@odata.context"] == "$metadata#Products(Attributes(),Assets(),Locations())/$entity"
    assert (value["Id"], value["Name"], value["Online"]) == (str(wanted[0].id), wanted[0].name, True)
    assert value["Locations"][0]["DownloadLink"] == f"http://testserver/odata/v1/Products({wanted[0].id})/$value"
    assert {"Name": "productType", "Value": "IW_SLC__1S"}.items() <= value["Attributes"][0].items()
    assert re.fullmatch(rf"[0-9]+-0:{pull}", base64.b64decode(first["AckId"]).decode())


def test_read_is_oldest_first_without_removing_and_ack_removes_that_one_and_all_before(client, alice, pull):
    for i in range(5):
        register(f"S1A_IW_SLC__1SDV_Q{i}.SAFE", start=START + timedelta(hours=i))
    events_deliver()
    assert [i["ProductName"] for i in read(client, alice, pull, top=None).json()] == ["S1A_IW_SLC__1SDV_Q0.SAFE"]
    two = read(client, alice, pull, top=2).json()
    assert [i["ProductName"] for i in two] == [i["ProductName"] for i in read(client, alice, pull, top=2).json()]
    answer = ack(client, alice, pull, two[1]["AckId"])
    assert (answer.status_code, answer.json()) == (200, {"@odata.context": "$metadata#Notification/$entity",
                                                         "AckMessagesNum": 2, "CurrentQueueLength": 3,
                                                         "MaxQueueLength": 100000})
    assert [i["ProductName"] for i in read(client, alice, pull).json()] == [
        f"S1A_IW_SLC__1SDV_Q{i}.SAFE" for i in (2, 3, 4)]
    assert ack(client, alice, pull, two[1]["AckId"]).json()["AckMessagesNum"] == 0


def test_read_top_beyond_twenty_and_bad_ack_ids_are_refused(client, alice, bob, pull):
    too_many = read(client, alice, pull, top=21)
    assert (too_many.status_code, too_many.json()) == (422, {"detail": [{
        "type": "less_than_equal", "loc": ["query", "$top"], "msg": "Input should be less than or equal to 20",
        "input": "21", "ctx": {"le": 20}}]})
    garbage = ack(client, alice, pull, "bm9wZQ==")
    assert (garbage.status_code, garbage.json()["error"]) == (400, {
        "code": "InvalidSubscription", "message": "'bm9wZQ==' is not an AckId of this service", "target": "$ackid"})
    other = base64.b64encode(b"7-0:991c4730-cf6f-432a-9f6c-47be0230ff45").decode()
    assert ack(client, alice, pull, other).json()["error"]["message"] == "The AckId belongs to another subscription"
    assert read(client, bob, pull).status_code == 404


def test_the_queue_keeps_its_maximum_length_by_dropping_the_oldest(client, alice, pull):
    from rs.subscriptions import services
    from rs.subscriptions.models import UserLimits

    services.limits_save(limits=UserLimits(user=alice, subscription_queue_length=3))
    for i in range(5):
        register(f"S1A_IW_SLC__1SDV_M{i}.SAFE", start=START + timedelta(hours=i))
    events_deliver()
    items = read(client, alice, pull).json()
    assert [i["ProductName"] for i in items] == [f"S1A_IW_SLC__1SDV_M{i}.SAFE" for i in (2, 3, 4)]
    assert ack(client, alice, pull, items[0]["AckId"]).json()["CurrentQueueLength"] == 2


def test_after_three_days_only_the_envelope_remains(client, alice, pull):
    from rs.subscriptions.delivery import payloads_strip
    from rs.subscriptions.models import Notification, NotificationPayload

    register("S1A_IW_SLC__1SDV_OLD.SAFE")
    register("S1A_IW_SLC__1SDV_NEW.SAFE", start=START + timedelta(hours=1))
    events_deliver()
    old = Notification.objects.order_by("id").first()
    three_days_ago = timezone.now() - timedelta(days=3, seconds=1)
    Notification.objects.filter(pk=old.pk).update(created_at=three_days_ago)
    items = read(client, alice, pull).json()
    assert [list(item) for item in items] == [ENVELOPE, [*ENVELOPE[:3], "ProductName", *ENVELOPE[3:], "value"]]
    NotificationPayload.objects.filter(pk=old.payload_id).update(created_at=three_days_ago)
    assert payloads_strip() == 1
    assert read(client, alice, pull).json()[0] == items[0]


def test_a_deleted_notification_carries_the_deleted_product_once(client, alice, public_client):
    subscription = subscribe(client, alice, SubscriptionEvent=["deleted"])
    product = register("S1A_IW_SLC__1SDV_EVICTED.SAFE")
    events_deliver()
    assert read(client, alice, subscription).json() == []  # created only, not subscribed
    catalog_services.product_evict(product_id=product.id, cause=DeletionCause.CORRUPTED)
    catalog_services.products_purge(product_ids=[product.id])
    events_deliver()
    (item,) = read(client, alice, subscription).json()
    assert (item["SubscriptionEvent"], item["ProductName"]) == ("deleted", product.name)
    value = item["value"]
    assert value["@odata.context"] == "$metadata#DeletedProducts(Attributes())/$entity"
    assert (value["Id"], value["Online"], value["DeletionCause"]) == (str(product.id), False, "Corrupted product")
    assert "Locations" not in value and "DeletionDate" in value


def test_the_removal_of_a_campaign_output_is_recorded_but_never_notified(client, alice, public_client):
    from rs.catalog.models import DeletedProduct

    subscription = subscribe(client, alice, SubscriptionEvent=["deleted"])
    metadata = catalog_services.ProductMetadata(
        mission="S1", platform="A", family=ProductFamily.S1_L1_SLICE, product_type="IW_SLC__1S",
        level=ProcessingLevel.L1, content_start=START, content_end=START + timedelta(seconds=25),
        attributes={"productType": "IW_SLC__1S"})
    output = catalog_services.product_register(name="S1A_IW_SLC__1SDV_CAMPAIGN.SAFE", metadata=metadata,
                                               content_length=1234, scope="campaign-9")
    operational = register("S1A_IW_SLC__1SDV_DELETED.SAFE")
    catalog_services.scoped_products_remove(product_ids=[output.id])
    catalog_services.product_delete(product_id=operational.id)
    events_deliver()
    assert DeletedProduct.objects.get(pk=output.id).scope == "campaign-9"
    assert [i["ProductName"] for i in read(client, alice, subscription).json()] == [operational.name]


def test_a_modified_notification_follows_a_change_of_the_product(client, alice, public_client):
    subscription = subscribe(client, alice, SubscriptionEvent=["created", "modified"])
    product = register("S1A_IW_SLC__1SDV_CHANGED.SAFE")
    events_deliver()
    catalog_services.product_update(product_id=product.id, attributes={"cloudCover": 12.5})
    events_deliver()
    assert [i["SubscriptionEvent"] for i in read(client, alice, subscription).json()] == ["created", "modified"]


def test_a_paused_subscription_is_not_notified_until_it_runs_again(client, alice, pull):
    client.patch(f"{ROOT}/Subscriptions({pull})", json.dumps({"Status": "paused"}),
                 content_type="application/json", **bearer(alice))
    register("S1A_IW_SLC__1SDV_WHILE_PAUSED.SAFE")
    events_deliver()
    client.patch(f"{ROOT}/Subscriptions({pull})", json.dumps({"Status": "running"}),
                 content_type="application/json", **bearer(alice))
    register("S1A_IW_SLC__1SDV_AFTER.SAFE")
    events_deliver()
    assert [i["ProductName"] for i in read(client, alice, pull).json()] == ["S1A_IW_SLC__1SDV_AFTER.SAFE"]
    info = client.get(f"{ROOT}/Subscriptions/Info", **bearer(alice)).json()[0]
    assert info["LastNotificationDate"] is not None


def test_owners_are_notified_only_of_products_they_may_see(client, alice, bob, pull):
    theirs = subscribe(client, bob)
    access_services.visibility_rule_save(rule=VisibilityRule(user=bob, mission="S1", allow=False))
    register("S1A_IW_SLC__1SDV_RESTRICTED.SAFE")
    events_deliver()
    assert (len(read(client, alice, pull).json()), len(read(client, bob, theirs).json())) == (1, 0)


def test_matching_costs_the_same_few_queries_for_five_or_fifty_subscribers(client, public_client,
                                                                          django_assert_max_num_queries):
    users = [user_create(f"user{i}") for i in range(50)]
    from rs.subscriptions.limits import limits_for

    for user in users:
        limits_for(user_id=user.pk)  # warm the memo of the subscription requests below
    for user in users[:5]:
        subscribe(client, user)
    register("S1A_IW_SLC__1SDV_FIVE.SAFE")
    # the delivery's own bookkeeping (8), the visibility rules once (1), the matching and the writes (10)
    with django_assert_max_num_queries(19) as five:
        events_deliver()
    for user in users[5:]:
        subscribe(client, user)
    register("S1A_IW_SLC__1SDV_FIFTY.SAFE", start=START + timedelta(hours=1))
    with django_assert_max_num_queries(19) as fifty:
        events_deliver()
    assert len(fifty.captured_queries) <= len(five.captured_queries)
    from rs.subscriptions.models import Notification

    assert Notification.objects.count() == 55


def test_a_change_of_rights_applies_to_the_next_product_at_once(client, alice, bob, pull,
                                                               django_capture_on_commit_callbacks):
    """The owners' scopes are memoised for matching, but a rule, group or activity change makes the memo stale."""
    from django.contrib.auth.models import Group

    theirs = subscribe(client, bob)

    def bobs_count() -> int:
        events_deliver()
        return len(read(client, bob, theirs).json())

    register("S1A_IW_SLC__1SDV_R1.SAFE")
    assert bobs_count() == 1  # bob's scope is now memoised
    with django_capture_on_commit_callbacks(execute=True):
        denied = access_services.visibility_rule_save(rule=VisibilityRule(user=bob, mission="S1", allow=False))
    register("S1A_IW_SLC__1SDV_R2.SAFE", start=START + timedelta(hours=1))
    assert bobs_count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        access_services.visibility_rule_delete(rule=denied)
    register("S1A_IW_SLC__1SDV_R3.SAFE", start=START + timedelta(hours=2))
    assert bobs_count() == 2
    # a group rule reaches bob when the admin adds him to the group, and leaves him when removed
    restricted = Group.objects.create(name="restricted")
    with django_capture_on_commit_callbacks(execute=True):
        access_services.visibility_rule_save(rule=VisibilityRule(group=restricted, mission="S1", allow=False))
    register("S1A_IW_SLC__1SDV_R4.SAFE", start=START + timedelta(hours=3))
    assert bobs_count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        bob.groups.add(restricted)
    register("S1A_IW_SLC__1SDV_R5.SAFE", start=START + timedelta(hours=4))
    assert bobs_count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        bob.groups.remove(restricted)
    register("S1A_IW_SLC__1SDV_R6.SAFE", start=START + timedelta(hours=5))
    assert bobs_count() == 4
    # a deactivated owner is notified of nothing from the next product on (alice, untouched, of everything)
    with django_capture_on_commit_callbacks(execute=True):
        bob.is_active = False
        bob.save()
    register("S1A_IW_SLC__1SDV_R7.SAFE", start=START + timedelta(hours=6))
    events_deliver()
    from rs.subscriptions.models import Notification

    assert Notification.objects.filter(subscription_id=theirs).count() == 4
    assert len(read(client, alice, pull).json()) == 7
