"""Settings come from the environment; mistakes stop the process with a message that says what to fix."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from p2p_portal.env import database_from_url, env_bool, env_int, env_list, redis_url_from_env
from tests.helpers import ROOT, manage, production_environment


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "DATABASE_URL is not a usable database URL"),
        ("mysql://user@db/p2p", "supports PostgreSQL (postgres://...) and SQLite"),
        ("postgres://user@db:5432", "names no database"),
        ("sqlite://:memory:", "must name a file"),
    ],
)
def test_a_bad_database_url_is_refused_with_what_to_write_instead(url: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message.replace("(", r"\(").replace(")", r"\)")):
        database_from_url(url, conn_max_age=0)


def test_postgres_and_sqlite_urls_are_parsed_and_metered(tmp_path) -> None:
    postgres = database_from_url("postgres://p2p:s3cret@db.internal:5433/portal", conn_max_age=60)
    assert postgres["ENGINE"] == "django_prometheus.db.backends.postgresql"
    assert (postgres["HOST"], postgres["PORT"], postgres["NAME"], postgres["USER"]) == (
        "db.internal",
        5433,
        "portal",
        "p2p",
    )
    assert postgres["CONN_MAX_AGE"] == 60

    sqlite = database_from_url(f"sqlite:///{tmp_path}/sub/portal.sqlite3", conn_max_age=60)
    assert sqlite["ENGINE"] == "django_prometheus.db.backends.sqlite3"
    assert sqlite["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert (tmp_path / "sub").is_dir(), "the folder of the SQLite file is created"


def test_typed_readers_reject_values_they_cannot_read() -> None:
    assert env_bool("DEBUG", default=False, environ={"DEBUG": "Yes"}) is True
    with pytest.raises(ImproperlyConfigured, match="DEBUG='maybe' is not a boolean"):
        env_bool("DEBUG", default=False, environ={"DEBUG": "maybe"})
    with pytest.raises(ImproperlyConfigured, match="EMAIL_PORT='smtp' is not a whole number"):
        env_int("EMAIL_PORT", 587, environ={"EMAIL_PORT": "smtp"})
    assert env_list("ALLOWED_HOSTS", environ={"ALLOWED_HOSTS": " a.example , ,b.example"}) == [
        "a.example",
        "b.example",
    ]
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL must start with redis://"):
        redis_url_from_env(environ={"REDIS_URL": "http://127.0.0.1:6379"})


def test_the_process_stops_on_a_bad_database_url_and_names_the_variable() -> None:
    result = manage("check", environment={"P2P_ENV": "development", "DATABASE_URL": "mysql://root@localhost/p2p"})
    assert result.returncode != 0
    assert "DATABASE_URL scheme 'mysql'" in result.stderr


def test_production_requires_a_secret_key() -> None:
    environment = production_environment()
    del environment["SECRET_KEY"]
    result = manage("check", environment=environment)
    assert result.returncode != 0
    assert "The environment variable SECRET_KEY is required" in result.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 50 random characters"),
        ({"DEBUG": "true"}, "DEBUG=true is refused when P2P_ENV=production"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS is required in production"),
        ({"BANK_ACCOUNT_KEY": ""}, "BANK_ACCOUNT_KEY is required"),
        ({"BANK_ACCOUNT_KEY": "not-a-fernet-key"}, "BANK_ACCOUNT_KEY must be a Fernet key"),
    ],
)
def test_production_refuses_unsafe_settings(override: dict[str, str], message: str) -> None:
    result = manage("check", environment=production_environment(**override))
    assert result.returncode != 0
    assert message in result.stderr


def test_production_settings_pass_check_deploy_without_a_single_warning() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", environment=production_environment())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_cookies_are_host_only_secure_and_same_site() -> None:
    script = (
        "import json; from django.conf import settings as s; print(json.dumps({k: getattr(s, k) for k in ["
        "'SESSION_COOKIE_NAME','CSRF_COOKIE_NAME','SESSION_COOKIE_SECURE','CSRF_COOKIE_SECURE','SESSION_COOKIE_SAMESITE',"
        "'SECURE_HSTS_SECONDS','X_FRAME_OPTIONS','DEBUG','EMAIL_BACKEND','SECURE_SSL_REDIRECT']}))"
    )
    result = manage("shell", "--no-imports", "-c", script, environment=production_environment())
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"


def test_development_defaults_need_no_configuration_at_all(tmp_path) -> None:
    script = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps([s.DEBUG, s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND]))"
    )
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        script,
        environment={"P2P_ENV": "development", "P2P_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    debug, engine, eager, email = json.loads(result.stdout)
    assert debug is True
    assert engine.endswith("sqlite3")
    assert eager is True, "without REDIS_URL tasks run inline"
    assert email == "django.core.mail.backends.console.EmailBackend"
    assert (tmp_path / "development-secret-key").stat().st_mode & 0o077 == 0, "the generated key is private"


def test_production_serves_pages_and_hashed_static_files_after_collectstatic(tmp_path) -> None:
    environment = production_environment(
        P2P_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path}/production.sqlite3",
        ALLOWED_HOSTS="p2p.example.org",
    )
    for command in (("migrate", "--noinput"), ("collectstatic", "--noinput")):
        result = manage(*command, environment=environment)
        assert result.returncode == 0, result.stderr
    script = (
        "import json; from django.test import Client; c = Client(HTTP_HOST='p2p.example.org'); "
        "login = c.get('/login/', secure=True); css = login.content.decode().split('/static/css/')[1].split('\"')[0]; "
        "asset = c.get('/static/css/' + css, secure=True); plain = c.get('/login/'); probe = c.get('/readyz'); "
        "print(json.dumps([login.status_code, css, asset.status_code, asset.get('Cache-Control', ''), "
        "plain.status_code, probe.status_code, c.get('/favicon.ico', secure=True)['Location']]))"
    )
    result = manage("shell", "--no-imports", "-c", script, environment=environment)
    assert result.returncode == 0, result.stderr
    login, css, asset, cache_control, plain, probe, favicon = json.loads(result.stdout.strip().splitlines()[-1])
    assert login == 200
    assert re.fullmatch(r"portal\.[0-9a-f]{12}\.css", css), "a content-hashed name"
    assert asset == 200
    assert "immutable" in cache_control
    assert plain == 301, "plain HTTP is redirected to HTTPS"
    assert probe == 200, "probes are exempt from the HTTPS redirect"
    assert re.fullmatch(r"/static/img/logo\.[0-9a-f]{12}\.svg", favicon)


def test_manage_py_defaults_to_development_but_the_servers_fail_closed(tmp_path) -> None:
    result = manage("check", environment={"P2P_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    server = subprocess.run(
        [sys.executable, "-c", "import p2p_portal.wsgi"],
        cwd=ROOT,
        env={
            key: value
            for key, value in os.environ.items()
            if key not in ("P2P_ENV", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert server.returncode != 0
    assert "SECRET_KEY is required" in server.stderr
