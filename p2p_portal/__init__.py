"""P2P Portal project package and platform app."""

from p2p_portal.celery import app as celery_app

__all__ = ("celery_app",)
