from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from rs.catalog import services as catalog_services
from rs.catalog.tests import factories
from rs.lifecycle.models import StorageQuota
from rs.monitoring.alerts import alert_notify, alerts_evaluate, alerts_unnotified
from rs.monitoring.models import Alert

pytestmark = pytest.mark.django_db


@pytest.fixture
def over_quota():
    """150 bytes of L1 slices online against a quota of 100."""
    factories.product(content_length=150, storage_key="products/S1/L1_SLICE/alert.zip")
    return StorageQuota.objects.create(family="L1_SLICE", quota_bytes=100)


def test_a_breach_opens_one_alert_however_often_it_is_seen_and_is_logged_once(over_quota, caplog):
    caplog.set_level(logging.WARNING, logger="rs.monitoring.alerts")

    first = alerts_evaluate()
    second = alerts_evaluate()

    assert first.opened == ["storage-quota:L1_SLICE"]
    assert second.opened == []
    assert list(Alert.objects.values_list("key", "resolved_at")) == [("storage-quota:L1_SLICE", None)]
    assert Alert.objects.get().message == "family L1_SLICE holds 150 bytes online, above its quota of 100"
    assert [r.getMessage() for r in caplog.records] == [
        "alert storage-quota:L1_SLICE: family L1_SLICE holds 150 bytes online, above its quota of 100"]


def test_an_alert_no_longer_seen_is_resolved_and_a_new_breach_opens_a_new_one(over_quota):
    alerts_evaluate()
    StorageQuota.objects.filter(pk=over_quota.pk).update(quota_bytes=1000)

    assert alerts_evaluate().resolved == ["storage-quota:L1_SLICE"]
    StorageQuota.objects.filter(pk=over_quota.pk).update(quota_bytes=10)
    assert alerts_evaluate().opened == ["storage-quota:L1_SLICE"]
    assert Alert.objects.filter(resolved_at__isnull=False).count() == 1
    assert Alert.objects.filter(resolved_at__isnull=True).count() == 1


def test_products_published_late_in_the_window_raise_a_timeliness_alert():
    now = timezone.now()
    late = factories.product(publish=False, timeliness="NRT", origin_date=now - timedelta(hours=4, minutes=5))
    catalog_services.product_publish(product_id=late.id, at=now - timedelta(minutes=5))
    on_time = factories.product(publish=False, timeliness="NRT", origin_date=now - timedelta(hours=1))
    catalog_services.product_publish(product_id=on_time.id, at=now - timedelta(minutes=5))

    evaluation = alerts_evaluate(now=now)

    assert evaluation.opened == ["timeliness:S1-L12-NRT"]
    assert Alert.objects.get().message == (
        "1 of 2 S1-L12-NRT products published in the last 15 min exceeded 10800 s")


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, object]]]]:
    """A real HTTP endpoint on localhost collecting the JSON bodies it receives."""
    received: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


def test_an_open_alert_is_sent_to_the_webhook_once(over_quota, webhook, settings):
    url, received = webhook
    settings.RS_MONITORING_ALERT_WEBHOOK_URL = url
    alerts_evaluate()
    [alert_id] = alerts_unnotified()

    assert alert_notify(alert_id=alert_id) is True
    assert alert_notify(alert_id=alert_id) is False
    assert alerts_unnotified() == []
    assert [(body["key"], body["rule"], body["resolved"]) for body in received] == [
        ("storage-quota:L1_SLICE", "storage-quota", False)]


def test_a_webhook_that_does_not_answer_leaves_the_alert_to_send_again(over_quota, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.RS_MONITORING_ALERT_WEBHOOK_URL = f"http://127.0.0.1:{port}/hook"
    alerts_evaluate()
    [alert_id] = alerts_unnotified()

    with pytest.raises(OSError):
        alert_notify(alert_id=alert_id)

    alert = Alert.objects.get()
    assert (alert.notify_attempts, alert.notified_at) == (1, None)
    assert "Connection refused" in alert.last_error
    assert alerts_unnotified() == [alert_id]
