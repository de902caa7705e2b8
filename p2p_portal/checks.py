"""System checks that `manage.py check` (and so CI and every deploy) runs."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register


@register("celery")
def celery_delays_within_visibility_timeout(app_configs: Any = None, **_: Any) -> list[CheckMessage]:
    """Every retry delay and scheduled countdown stays below the Redis visibility timeout."""
    from p2p_portal.celery import app, delays_beyond_visibility

    return [
        Error(problem, hint="Shorten the delay or raise CELERY_VISIBILITY_TIMEOUT.", id="p2p.E001")
        for problem in delays_beyond_visibility(app)
    ]
