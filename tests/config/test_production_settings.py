"""The production configuration: `check --deploy` passes with the environment README.md
documents, the S3 switch configures django-storages, and pictures are served through the storage
API, so from a bucket as from a folder."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage, storages

from annotator.models import ValImage
from tests.factories import make_jpeg, make_user

ROOT = Path(__file__).resolve().parents[2]

# The production environment of README.md, "Run it for a panel" (no DEBUG, no test settings).
PRODUCTION = {
    "DJANGO_SECRET_KEY": "a-production-secret-key-of-fifty-or-more-characters-0123456789-xyz",
    "DJANGO_ALLOWED_HOSTS": "panel.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://panel.example.org",
    "DATABASE_URL": "postgres://annotator@db.example.org:5432/annotator",
}


def run_python(code: str, environment: dict[str, str]) -> subprocess.CompletedProcess:
    """Python in a fresh process with only the given variables (and PATH) set."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings"} | environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def read_settings(environment: dict[str, str], *names: str) -> dict:
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = run_python(code, environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_passes_with_the_documented_production_environment():
    result = run_python(
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        PRODUCTION,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_turns_on_https_only_cookies_hsts_and_the_redirect():
    found = read_settings(
        PRODUCTION,
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SECURE_HSTS_SECONDS",
        "SECURE_CONTENT_TYPE_NOSNIFF",
        "X_FRAME_OPTIONS",
        "CSRF_TRUSTED_ORIGINS",
    )

    assert found == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "X_FRAME_OPTIONS": "DENY",
        "CSRF_TRUSTED_ORIGINS": ["https://panel.example.org"],
    }


def test_behind_a_tls_proxy_the_forwarded_proto_header_is_trusted_and_the_redirect_can_go():
    found = read_settings(
        PRODUCTION | {"DJANGO_SECURE_PROXY_SSL_HEADER": "1", "DJANGO_SECURE_SSL_REDIRECT": "0"},
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
    )

    assert found == {
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": True,
    }


def test_production_log_in_limits_read_the_real_client_address_and_tokens_expire():
    found = read_settings(
        PRODUCTION,
        "NUM_PROXIES",
        "REST_FRAMEWORK",
        "AXES_LOCKOUT_PARAMETERS",
        "AXES_CLIENT_IP_CALLABLE",
        "LOGIN_FAILURES_PER_ADDRESS",
        "LOGIN_MAX_DELAY",
        "API_TOKEN_TTL",
    )

    assert found["NUM_PROXIES"] == 0  # REMOTE_ADDR only: X-Forwarded-For is not believed
    assert found["REST_FRAMEWORK"]["NUM_PROXIES"] == 0
    assert found["AXES_LOCKOUT_PARAMETERS"] == [["ip_address", "username"]]
    assert found["AXES_CLIENT_IP_CALLABLE"] == "config.security.client_ip"
    assert found["LOGIN_FAILURES_PER_ADDRESS"] == 20
    assert found["LOGIN_MAX_DELAY"] == "0:01:00"
    assert found["API_TOKEN_TTL"] == "14 days, 0:00:00"


def test_behind_proxies_the_documented_variables_set_the_address_rule_and_the_token_lifetime():
    found = read_settings(
        PRODUCTION
        | {
            "DJANGO_NUM_PROXIES": "1",
            "DJANGO_TOKEN_TTL_HOURS": "24",
            "DJANGO_LOGIN_FAILURES_PER_ADDRESS": "50",
            "DJANGO_LOGIN_MAX_DELAY_SECONDS": "30",
        },
        "NUM_PROXIES",
        "REST_FRAMEWORK",
        "LOGIN_FAILURES_PER_ADDRESS",
        "LOGIN_MAX_DELAY",
        "API_TOKEN_TTL",
    )

    assert found["NUM_PROXIES"] == found["REST_FRAMEWORK"]["NUM_PROXIES"] == 1
    assert found["LOGIN_FAILURES_PER_ADDRESS"] == 50
    assert found["LOGIN_MAX_DELAY"] == "0:00:30"
    assert found["API_TOKEN_TTL"] == "1 day, 0:00:00"


def test_a_negative_number_of_proxies_stops_with_a_clear_error():
    result = run_python("import django; django.setup()", PRODUCTION | {"DJANGO_NUM_PROXIES": "-1"})

    assert result.returncode != 0
    assert "DJANGO_NUM_PROXIES must be 0" in result.stderr


def test_the_s3_switch_configures_private_django_storages_for_the_pictures():
    found = read_settings(
        PRODUCTION
        | {
            "DJANGO_MEDIA_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": "panel-pictures",
            "AWS_S3_ENDPOINT_URL": "https://s3.example.org",
            "AWS_S3_REGION_NAME": "eu-central-1",
            "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "secret-example",
        },
        "STORAGES",
    )
    default = found["STORAGES"]["default"]

    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert {
        key: default["OPTIONS"][key]
        for key in ("bucket_name", "endpoint_url", "region_name", "default_acl", "querystring_auth")
    } == {
        "bucket_name": "panel-pictures",
        "endpoint_url": "https://s3.example.org",
        "region_name": "eu-central-1",
        "default_acl": "private",
        "querystring_auth": True,
    }
    # The keys stay in the environment for boto3, not in settings (they would show in dumps).
    assert "secret-example" not in json.dumps(found)


def test_the_s3_storage_class_is_built_from_those_settings_without_the_network():
    code = (
        "import django; django.setup(); "
        "from django.core.files.storage import storages; s = storages['default']; "
        "print(type(s).__name__, s.bucket_name, s.default_acl, s.querystring_auth, s.endpoint_url)"
    )
    result = run_python(
        code,
        PRODUCTION
        | {
            "DJANGO_MEDIA_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": "panel-pictures",
            "AWS_S3_ENDPOINT_URL": "https://s3.example.org",
        },
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "S3Storage",
        "panel-pictures",
        "private",
        "True",
        "https://s3.example.org",
    ]


def test_the_s3_switch_without_a_bucket_stops_with_a_clear_error():
    result = run_python(
        "import django; django.setup()", PRODUCTION | {"DJANGO_MEDIA_STORAGE": "s3"}
    )

    assert result.returncode != 0
    assert "DJANGO_MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME" in result.stderr


@pytest.fixture
def storage_without_paths(settings):
    """A storage that keeps no files on disk, as a bucket does."""
    backend = "django.core.files.storage.InMemoryStorage"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": backend}}
    storage = storages["default"]
    assert isinstance(storage, InMemoryStorage)
    return storage


@pytest.mark.django_db
def test_pictures_are_served_from_a_storage_that_keeps_nothing_on_disk(
    client, storage_without_paths, media_root
):
    data = make_jpeg()
    image = ValImage.objects.get(number=1)
    image.picture.save(f"pictures/{image.file_name}", ContentFile(data))
    client.force_login(make_user())

    response = client.get("/images/1/original.jpg")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert storage_without_paths.exists(image.picture.name)
    assert not media_root.exists() or not any(media_root.rglob("*"))


@pytest.mark.django_db
def test_a_picture_missing_from_such_a_storage_is_a_404(client, storage_without_paths):
    ValImage.objects.filter(number=1).update(picture="pictures/ILSVRC2012_val_00000001.JPEG")
    client.force_login(make_user())

    assert client.get("/images/1/original.jpg").status_code == 404
