"""WSGI entry point (gunicorn p2p_portal.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "p2p_portal.settings")

application = get_wsgi_application()
