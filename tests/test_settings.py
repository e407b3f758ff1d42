"""Configuration comes from the environment and fails loudly, naming the variable, on bad values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = "x" * 40


BOOLEAN_VARIABLES = [
    "DEBUG", "RS_BEHIND_TLS_PROXY", "RS_EXECUTION_KEEP_WORKDIR", "RS_SUBSCRIPTION_PUSH_PRIVATE_NETWORKS",
    "RS_PRODUCTION_ORDER_WEBHOOK_PRIVATE_NETWORKS", "EMAIL_USE_TLS", "RS_ACCESS_BASIC_AUTH", "RS_PRIP_ANONYMOUS_SEARCH",
]
# what each boolean variable is read into (RS_BEHIND_TLS_PROXY only sets the proxy header)
SHOW_BOOLEANS = ("print(s.DEBUG, s.SECURE_PROXY_SSL_HEADER is not None, s.RS_EXECUTION_KEEP_WORKDIR, "
                 "s.RS_SUBSCRIPTION_PUSH_PRIVATE_NETWORKS, s.RS_PRODUCTION_ORDER_WEBHOOK_PRIVATE_NETWORKS, "
                 "s.EMAIL_USE_TLS, s.RS_ACCESS_BASIC_AUTH, s.RS_PRIP_ANONYMOUS_SEARCH)")
SHOW_URLS = ("print(s.RS_S3_ENDPOINT_URL, s.RS_S3_PUBLIC_ENDPOINT_URL, s.CELERY_BROKER_URL, s.CELERY_RESULT_BACKEND, "
             "s.RS_MONITORING_ALERT_WEBHOOK_URL, s.RS_WEB_TILE_URL, s.RS_ACCESS_ISSUER)")
NOT_A_BOOLEAN = "not a boolean; use true/false, 1/0, yes/no or on/off (any case)"


def load_settings(tmp_path: Path, show: str = "", **variables: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "RS_ENV_FILE": str(tmp_path / "none.env"),
           "RS_VAR_DIR": str(tmp_path / "var"), **variables}
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'rs.settings'; django.setup(); "
            "from django.conf import settings as s; " + (show or
            "print(s.DATABASES['default']['ENGINE'], s.RS_STORAGE, s.CELERY_BROKER_URL, "
            "s.CACHES['default']['BACKEND'])"))
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def assert_refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode != 0
    assert f"django.core.exceptions.ImproperlyConfigured: {message}\n" in result.stderr, result.stderr


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
         "CELERY_BROKER_URL='amqp://guest@localhost//': use filesystem://, redis:// or rediss://"),
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


def test_unset_booleans_take_their_defaults(tmp_path):
    result = load_settings(tmp_path, SHOW_BOOLEANS, SECRET_KEY=GOOD_SECRET)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "False", "False", "False", "False", "True", "True"]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["true", "TRUE", "True", "1", "yes", "YES", "on", "On"], "True"),
        (["false", "FALSE", "False", "0", "no", "NO", "off", "Off"], "False"),
    ],
)
def test_every_boolean_accepts_true_false_1_0_yes_no_on_off_in_any_case(tmp_path, words, expected):
    variables = dict(zip(BOOLEAN_VARIABLES, words, strict=True))
    result = load_settings(tmp_path, SHOW_BOOLEANS, SECRET_KEY=GOOD_SECRET, **variables)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [expected] * len(BOOLEAN_VARIABLES)


@pytest.mark.parametrize("name", BOOLEAN_VARIABLES)
def test_a_misspelt_boolean_stops_the_start_instead_of_reading_false(tmp_path, name):
    result = load_settings(tmp_path, SECRET_KEY=GOOD_SECRET, **{name: "ture"})
    assert_refused(result, f"{name}='ture': {NOT_A_BOOLEAN}")


@pytest.mark.parametrize("value", ["", "2", "-1", "y", "n", "ok", "enabled", "true1"])
def test_words_django_environ_would_read_are_refused(tmp_path, value):
    result = load_settings(tmp_path, SECRET_KEY=GOOD_SECRET, DEBUG=value)
    assert_refused(result, f"DEBUG={value!r}: {NOT_A_BOOLEAN}")


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("RS_S3_ENDPOINT_URL", "s3.example.org:8333", "use http:// or https://"),
        ("RS_S3_ENDPOINT_URL", "http://:8333", "the URL names no host"),
        ("RS_S3_ENDPOINT_URL", "http://s3:port", "the port is not a number from 0 to 65535"),
        ("RS_S3_ENDPOINT_URL", "http://s3:70000", "the port is not a number from 0 to 65535"),
        ("RS_S3_PUBLIC_ENDPOINT_URL", "ftp://downloads.example.org", "use http:// or https://"),
        ("RS_S3_PUBLIC_ENDPOINT_URL", "https:/downloads.example.org", "use http:// or https://"),
        ("CELERY_BROKER_URL", "redis:///0", "the URL names no host"),
        ("CELERY_BROKER_URL", "redis://redis:6379/zero", "the Redis database is a number (redis://host:6379/0)"),
        ("CELERY_RESULT_BACKEND", "amqp://guest@localhost//", "use redis://, rediss:// or file://"),
        ("CELERY_RESULT_BACKEND", "redis://", "the URL names no host"),
        ("CELERY_RESULT_BACKEND", "rediss://redis:63790/results", "the Redis database is a number (redis://host:6379/0)"),
        ("CELERY_RESULT_BACKEND", "file://var/celery/results", "use file:///absolute/path"),
        ("RS_MONITORING_ALERT_WEBHOOK_URL", "hooks.example.org/alerts", "use http:// or https://"),
        ("RS_MONITORING_ALERT_WEBHOOK_URL", "https://", "the URL names no host"),
        ("RS_WEB_TILE_URL", "//tile.example.org/{z}/{x}/{y}.png", "use http:// or https://"),
        ("RS_ACCESS_ISSUER", "https:///auth/realms/rs", "the URL names no host"),
    ],
)
def test_a_bad_url_stops_the_start_with_what_is_wrong(tmp_path, name, value, problem):
    result = load_settings(tmp_path, SECRET_KEY=GOOD_SECRET, **{name: value})
    assert_refused(result, f"{name}={value!r}: {problem}")


@pytest.mark.parametrize("name", ["CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"])
def test_a_refused_url_does_not_print_its_password(tmp_path, name):
    result = load_settings(tmp_path, SECRET_KEY=GOOD_SECRET, **{name: "rediss://:s3cr3t@redis.example.org:6380/x"})
    assert_refused(result, f"{name}='rediss://:***@redis.example.org:6380/x': the Redis database is a number "
                           "(redis://host:6379/0)")
    assert "s3cr3t" not in result.stderr


def test_good_urls_are_kept_as_given(tmp_path):
    urls = {
        "RS_S3_ENDPOINT_URL": "http://127.0.0.1:8333",
        "RS_S3_PUBLIC_ENDPOINT_URL": "https://downloads.example.org",
        "CELERY_BROKER_URL": "rediss://:secret@redis.example.org:6380/0?ssl_cert_reqs=required",
        "CELERY_RESULT_BACKEND": "redis://redis:6379",
        "RS_MONITORING_ALERT_WEBHOOK_URL": "https://hooks.example.org/alerts?channel=rs",
        "RS_WEB_TILE_URL": "https://{s}.tile.example.org/{z}/{x}/{y}.png",
        "RS_ACCESS_ISSUER": "https://rs.example.org/auth/realms/rs",
    }
    result = load_settings(tmp_path, SHOW_URLS, SECRET_KEY=GOOD_SECRET, **urls)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == list(urls.values())


def test_the_embedded_default_keeps_results_in_files_and_leaves_optional_urls_empty(tmp_path):
    result = load_settings(tmp_path, "print(repr(s.CELERY_RESULT_BACKEND), repr(s.RS_S3_ENDPOINT_URL), "
                           "repr(s.RS_MONITORING_ALERT_WEBHOOK_URL), repr(s.RS_ACCESS_ISSUER))",
                           SECRET_KEY=GOOD_SECRET)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [repr(f"file://{tmp_path / 'var' / 'celery' / 'results'}"), "''", "''", "''"]


def test_a_file_result_backend_beside_the_filesystem_broker_is_accepted(tmp_path):
    results = f"file://localhost{tmp_path / 'results'}"
    result = load_settings(tmp_path, "print(s.CELERY_BROKER_URL, s.CELERY_RESULT_BACKEND)", SECRET_KEY=GOOD_SECRET,
                           CELERY_RESULT_BACKEND=results)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["filesystem://", results]
