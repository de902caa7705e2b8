"""`manage.py create_api_client NAME --facility CODE --scope SCOPE ...`: prints the token once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from p2p_portal.errors import ApplicationError
from p2p_portal.management.commands._actor import command_actor
from p2p_portal.models import Facility
from p2p_portal.roles import Scope
from p2p_portal.services import api_client_create


class Command(BaseCommand):
    """Create an API client for some facilities with some scopes, and print its first token once."""

    help = "Create an API client and print its token (shown once; only a digest is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--facility", action="append", required=True, help="facility code (repeat for more)")
        parser.add_argument("--scope", action="append", required=True, choices=Scope.values, help="scope (repeat)")
        parser.add_argument("--description", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        codes = options["facility"]
        facilities = list(Facility.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {facility.code for facility in facilities})
        if missing:
            raise CommandError(f"No facility with code {', '.join(missing)}.")
        try:
            client, issued = api_client_create(
                actor=command_actor("create_api_client"),
                name=options["name"],
                facilities=facilities,
                scopes=options["scope"],
                description=options["description"],
            )
        except (ValidationError, ApplicationError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"API client {client.name} created for {', '.join(codes)} with {', '.join(client.scopes)}.")
        self.stdout.write(f"Token (shown once, expires {issued.token.expires_at:%Y-%m-%d}):")
        self.stdout.write(issued.secret)
