#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    """Run administrative tasks."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "p2p_portal.settings")
    # The developer's command line defaults to development; what serves production (wsgi.py, asgi.py,
    # the Celery worker) defaults to production and fails closed. In production, export P2P_ENV=production
    # for manage.py commands too (seed_demo refuses to run there).
    os.environ.setdefault("P2P_ENV", "development")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
