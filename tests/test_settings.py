"""Configuration comes from the environment and fails loudly, naming the variable, on bad values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = "x" * 40


def load_settings(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "RS_ENV_FILE": str(tmp_path / "none.env"),
           "RS_VAR_DIR": str(tmp_path / "var"), **variables}
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'rs.settings'; django.setup(); "
            "from django.conf import settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.RS_STORAGE, s.CELERY_BROKER_URL, "
            "s.CACHES['default']['BACKEND'])")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def test_no_environment_gives_the_embedded_default(tmp_path):
    result = load_settings(tmp_path, SECRET_KEY=GOOD_SECRET)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.contrib.gis.db.backends.spatialite", "filesystem", "filesystem://",
        "django.core.cache.backends.filebased.FileBasedCache"]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 32 characters"),
        ({"SECRET_KEY": GOOD_SECRET, "RS_STORAGE": "ftp"}, "RS_STORAGE='ftp': use one of filesystem, s3"),
        ({"SECRET_KEY": GOOD_SECRET, "RS_STORAGE": "s3"},
         "RS_STORAGE=s3 needs RS_S3_ENDPOINT_URL, RS_S3_ACCESS_KEY, RS_S3_SECRET_KEY"),
        ({"SECRET_KEY": GOOD_SECRET, "DATABASE_URL": "mysql://u:p@h/db"}, "DATABASE_URL: use a postgis:// or"),
        ({"SECRET_KEY": GOOD_SECRET, "CELERY_BROKER_URL": "amqp://guest@localhost//"},
         "CELERY_BROKER_URL='amqp://guest@localhost//': use filesystem:// or redis://"),
        ({"SECRET_KEY": GOOD_SECRET, "RS_EVENT_MAX_ATTEMPTS": "many"}, "RS_EVENT_MAX_ATTEMPTS: not an integer"),
        ({"SECRET_KEY": GOOD_SECRET, "RS_EVENT_MAX_ATTEMPTS": "0"}, "RS_EVENT_MAX_ATTEMPTS=0: must be >= 1"),
        ({"SECRET_KEY": GOOD_SECRET, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL='LOUD'"),
    ],
)
def test_bad_values_stop_the_start_with_the_variable_named(tmp_path, variables, message):
    result = load_settings(tmp_path, **variables)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_the_full_deployment_variables_select_postgis_redis_and_s3(tmp_path):
    result = load_settings(
        tmp_path, SECRET_KEY=GOOD_SECRET, DATABASE_URL="postgis://rs:pw@db:5432/rs",
        CELERY_BROKER_URL="redis://redis:6379/0", CACHE_URL="rediscache://redis:6379/2", RS_STORAGE="s3",
        RS_S3_ENDPOINT_URL="http://s3:8333", RS_S3_ACCESS_KEY="k", RS_S3_SECRET_KEY="s",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.contrib.gis.db.backends.postgis", "s3", "redis://redis:6379/0",
        "rs.redis_cache.RedisCache"]
