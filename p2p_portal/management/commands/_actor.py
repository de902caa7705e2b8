"""The actor of a management command: the operating-system account that ran it."""

from __future__ import annotations

import getpass


def command_actor(command: str) -> str:
    """A system actor label such as "command create_api_client by ops"."""
    try:
        account = getpass.getuser()
    except Exception:  # no login name in some containers
        account = "unknown account"
    return f"command {command} by {account}"
