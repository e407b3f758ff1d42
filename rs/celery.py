"""The Celery application shared by every worker and by beat."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rs.settings")

app = Celery("rs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
