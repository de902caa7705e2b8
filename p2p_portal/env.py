"""Typed readers for settings taken from the environment (12-factor), each failing with a clear message."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

# Engines wrapped by django-prometheus so that /metrics counts queries and errors per database.
_METERED_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}


def env_str(name: str, default: str | None = None, *, environ: Mapping[str, str] | None = None) -> str:
    """Return a string variable, or the default; without a default the variable is required."""
    source = os.environ if environ is None else environ
    value = source.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"The environment variable {name} is required and is not set.")
        return default
    return value


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    """Return a boolean variable written as 1/0, true/false, yes/no or on/off."""
    source = os.environ if environ is None else environ
    raw = source.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use one of 1/0, true/false, yes/no, on/off.")


def env_int(name: str, default: int, *, minimum: int = 0, environ: Mapping[str, str] | None = None) -> int:
    """Return a whole-number variable of at least `minimum`."""
    source = os.environ if environ is None else environ
    raw = source.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}.")
    return value


def env_list(name: str, default: Sequence[str] = (), *, environ: Mapping[str, str] | None = None) -> list[str]:
    """Return a comma-separated list variable, blanks dropped."""
    source = os.environ if environ is None else environ
    raw = source.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, choices: Sequence[str], default: str, *, environ: Mapping[str, str] | None = None) -> str:
    """Return a variable that must be one of `choices`."""
    value = env_str(name, default, environ=environ)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of: {', '.join(choices)}.")
    return value


def database_from_url(url: str, *, conn_max_age: int) -> dict[str, Any]:
    """Turn DATABASE_URL into a Django DATABASES entry, refusing anything but PostgreSQL and SQLite."""
    scheme = urlsplit(url).scheme
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=conn_max_age))
    except Exception as error:  # dj-database-url raises bare ValueError/KeyError for unknown schemes
        raise ImproperlyConfigured(
            f"DATABASE_URL is not a usable database URL (scheme {scheme!r}: {error}). "
            "Use postgres://user:password@host:5432/name or sqlite:///absolute/path.sqlite3."
        ) from None
    engine = config.get("ENGINE", "")
    if engine not in _METERED_ENGINES:
        raise ImproperlyConfigured(
            f"DATABASE_URL scheme {scheme!r} selects {engine!r}; P2P Portal supports PostgreSQL "
            "(postgres://...) and SQLite (sqlite:///...)."
        )
    if engine == "django.db.backends.postgresql" and not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL names no database: add it after the host, e.g. /p2p_portal.")
    if engine == "django.db.backends.sqlite3":
        name = str(config.get("NAME") or "")
        if not name or name == ":memory:":
            raise ImproperlyConfigured(
                "DATABASE_URL for SQLite must name a file (sqlite:///absolute/path.sqlite3); "
                "an in-memory database is not shared between the web process and the tasks."
            )
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        # IMMEDIATE transactions take the write lock up front, so concurrent writers wait instead of
        # failing with "database is locked" halfway through; WAL lets readers run beside a writer.
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        config["CONN_MAX_AGE"] = 0
        # Tests get a file too, not Django's default in-memory database: its shared cache answers
        # concurrent writers with "table is locked" at once instead of waiting like a real file does.
        config["TEST"] = {"NAME": f"{name.removesuffix('.sqlite3')}-test.sqlite3"}
    config["ENGINE"] = _METERED_ENGINES[engine]
    return config


def redis_url_from_env(name: str = "REDIS_URL", *, environ: Mapping[str, str] | None = None) -> str:
    """Return REDIS_URL ('' when unset), refusing a URL that is not redis:// or rediss://."""
    url = env_str(name, "", environ=environ)
    if url and urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(f"{name} must start with redis://, rediss:// or unix:// (got {url!r}).")
    return url
