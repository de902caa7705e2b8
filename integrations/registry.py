"""Which connector serves a system, and the credentials its config names (read from the environment, never stored)."""

from __future__ import annotations

import os

from integrations.connectors import Connector
from integrations.errors import AuthenticationError
from integrations.models import ConnectorName, ExternalSystem


def credential(system: ExternalSystem, key: str, *, default: str | None = None) -> str:
    """The secret in the environment variable that `system.config[key]` names (e.g. "password_env")."""
    variable = str(system.config.get(key, ""))
    value = os.environ.get(variable) if variable else None
    if value:
        return value
    if default is not None:
        return default
    raise AuthenticationError(
        f"{system.code}: set the environment variable {variable or '(none named in config.' + key + ')'}"
        " with its credential."
    )


def connector_for(system: ExternalSystem) -> Connector:
    """A connector for the system (imported here, at use, so that one system's dependencies never load another's)."""
    if system.connector == ConnectorName.SANDBOX:
        from integrations.sandbox.connector import SandboxConnector

        return SandboxConnector(system)
    if system.connector == ConnectorName.TRYTON:
        from integrations.tryton.connector import TrytonConnector

        return TrytonConnector(system)
    raise ValueError(f"No connector {system.connector!r}.")
