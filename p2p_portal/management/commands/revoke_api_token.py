"""`manage.py revoke_api_token NAME (--prefix P | --all) --reason TEXT`: stop tokens at once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from p2p_portal.management.commands._actor import command_actor
from p2p_portal.models import ApiClient
from p2p_portal.services import api_client_revoke_all, api_token_revoke


class Command(BaseCommand):
    """Revoke one token of a client (by its prefix) or all of them."""

    help = "Revoke an API client's token(s) immediately."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--prefix", help="the token's public prefix (p2p_<prefix>_...)")
        which.add_argument("--all", action="store_true", help="every live token of the client")
        parser.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        client = ApiClient.objects.filter(name=options["name"]).first()
        if client is None:
            raise CommandError(f"No API client named {options['name']!r}.")
        actor = command_actor("revoke_api_token")
        if options["all"]:
            count = api_client_revoke_all(actor=actor, client=client, reason=options["reason"])
            self.stdout.write(f"{count} token(s) of {client.name} revoked.")
            return
        token = client.tokens.filter(prefix=options["prefix"]).first()
        if token is None:
            raise CommandError(f"{client.name} has no token with prefix {options['prefix']!r}.")
        api_token_revoke(actor=actor, token=token, reason=options["reason"])
        self.stdout.write(f"Token {token.prefix} of {client.name} revoked.")
