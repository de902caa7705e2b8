"""Helpers for tests that run manage.py in a child process with an environment of their own."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Variables a child must not inherit from the test run, so each test states its whole configuration.
_CONFIG_VARIABLES = (
    "P2P_ENV",
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "BANK_ACCOUNT_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
    "DJANGO_SETTINGS_MODULE",
    "CELERY_TASK_ALWAYS_EAGER",
    "LOG_FORMAT",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "P2P_VAR_DIR",
)


def production_environment(**overrides: str) -> dict[str, str]:
    """A complete production configuration (on a throwaway SQLite file unless overridden)."""
    environment = {
        "P2P_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BANK_ACCOUNT_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "ALLOWED_HOSTS": "p2p.example.org",
        "DATABASE_URL": "sqlite:////tmp/p2p-portal-settings-test.sqlite3",
    }
    environment.update(overrides)
    return environment


def manage(*arguments: str, environment: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run manage.py with exactly the given configuration on top of a clean environment."""
    child_environment = {key: value for key, value in os.environ.items() if key not in _CONFIG_VARIABLES}
    child_environment.update(environment)
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=child_environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
