"""Deliver catalog events to one consumer in this process: `python -m rs.monitoring.tests.deliver_events CONSUMER
ID…`. The metrics tests run it as separate processes writing to one PROMETHEUS_MULTIPROC_DIR."""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rs.settings")
    import django

    django.setup()
    from rs.catalog import services

    consumer, *ids = sys.argv[1:]
    delivered = services.events_deliver(event_ids=[int(i) for i in ids], consumer_name=consumer)
    print(delivered)
    sys.exit(0 if delivered == len(ids) else 1)
