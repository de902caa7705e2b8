"""`manage.py rotate_api_token NAME [--overlap-hours N]`: new token now, old ones expire after the overlap."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from p2p_portal.management.commands._actor import command_actor
from p2p_portal.models import ApiClient
from p2p_portal.services import api_token_rotate


class Command(BaseCommand):
    """Issue a new token for a client; its current tokens keep working for the overlap window."""

    help = "Rotate an API client's token and print the new one (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--overlap-hours", type=int, default=settings.API_TOKEN_ROTATION_OVERLAP_HOURS)

    def handle(self, *args: Any, **options: Any) -> None:
        client = ApiClient.objects.filter(name=options["name"]).first()
        if client is None:
            raise CommandError(f"No API client named {options['name']!r}.")
        overlap = timedelta(hours=options["overlap_hours"])
        issued = api_token_rotate(actor=command_actor("rotate_api_token"), client=client, overlap=overlap)
        self.stdout.write(f"New token for {client.name}; older tokens stop working within {overlap}.")
        self.stdout.write(f"Token (shown once, expires {issued.token.expires_at:%Y-%m-%d}):")
        self.stdout.write(issued.secret)
