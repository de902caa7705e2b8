"""Pure JSON-RPC client for Tryton 8.2 over `requests`: sessions, typed values, typed errors. No ORM, no Django.

Protocol (trytond/protocols/dispatcher.py and jsonrpc.py):
- ``POST {base_url}/{database}/rpc/`` with ``{"id", "method", "params"}``; server-level calls go to ``/rpc/``.
- ``common.db.login [login, {"password": ...}]`` answers ``[user_id, token, bus_url]``; later calls carry
  ``Authorization: Session base64("login:user_id:token")``. An expired or deleted session answers HTTP 401.
- Model calls are ``model.<model>.<method>`` with the user's context (``model.res.user.get_preferences``) last.
- Decimal, date, datetime, time, timedelta and bytes travel as ``{"__class__": ..., ...}`` objects.
- Refusals come back as HTTP 200 with ``{"error": [name, args]}`` (``UserError``, ``UserWarning``,
  ``ConcurrencyException``, ``LoginException``) or ``[message, traceback]`` for an unexpected server exception.
- Failed logins answer 401; more than 5 in the session timeout answer 429 (``res.user.login.attempt``).

One client per thread: it holds one `requests.Session` and one Tryton session.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any, Final

import requests

from integrations.errors import (
    AuthenticationError,
    ConnectorError,
    PermanentError,
    RateLimitedError,
    TransientError,
)

logger = logging.getLogger(__name__)

Domain = Sequence[Any]
Order = Sequence[tuple[str, str]]
Record = dict[str, Any]

MESSAGE_LIMIT: Final = 500
DEFAULT_RETRY_AFTER: Final = 60.0
TRYTON_ERROR_NAMES: Final = frozenset({"UserError", "UserWarning", "ConcurrencyException", "LoginException"})
# Server exceptions that say "busy", not "wrong" (SQLite's writer lock, PostgreSQL's serialisation and deadlocks).
TRANSIENT_SERVER_ERRORS: Final = ("database is locked", "could not serialize", "deadlock detected", "lock timeout")


class TrytonError(PermanentError):
    """Tryton refused the call itself (validation, domain, access rule, server exception): the same call fails again,
    except a ConcurrencyException or a server error that says the database was busy (`retryable`).

    `name` is Tryton's error name (``UserError``, ``UserWarning``, ``ConcurrencyException``, or ``ServerError`` for
    an unexpected exception on the server); `details` keeps the error's arguments as received (they may be large).
    """

    def __init__(self, name: str, message: str, *, details: Any = None, status: int | None = None) -> None:
        super().__init__(f"{name}: {truncate(message)}", status=status)
        self.name = name
        self.details = details
        # A record changed under us, or the database busy with another writer: the same call may pass next time.
        self.retryable = name == "ConcurrencyException" or (
            name == "ServerError" and any(marker in message for marker in TRANSIENT_SERVER_ERRORS)
        )


class TrytonWarningError(TrytonError):
    """A soft check the GUI would show as a confirm dialog; `key` is what `res.user.warning` must name to accept it."""

    def __init__(self, key: str, message: str, *, details: Any = None) -> None:
        super().__init__("UserWarning", message, details=details)
        self.key = key


def truncate(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Tryton's domain errors embed whole field definitions (over 100 KB): keep logs and messages readable."""
    text = " ".join(text.split())
    return text if len(text) <= limit else f"{text[:limit]}... [{len(text) - limit} more characters]"


def encode(value: Any) -> Any:
    """Python values to Tryton's JSON: Decimal, dates, times, durations and bytes become `__class__` objects.

    Aware datetimes are converted to naive UTC, which is how Tryton stores and compares `write_date`.
    """
    if isinstance(value, bytes | bytearray | memoryview):
        return {"__class__": "bytes", "base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return {
            "__class__": "datetime",
            "year": value.year,
            "month": value.month,
            "day": value.day,
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, dt.date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, dt.time):
        return {
            "__class__": "time",
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, dt.timedelta):
        return {"__class__": "timedelta", "seconds": value.total_seconds()}
    if isinstance(value, Mapping):
        return {str(key): encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [encode(item) for item in value]
    return value


def decode(value: Any) -> Any:
    """Tryton's JSON to Python values; datetimes stay naive (UTC)."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("__class__")
    if kind == "Decimal":
        return Decimal(value["decimal"])
    if kind == "datetime":
        return dt.datetime(  # Tryton's datetimes are naive UTC
            value["year"],
            value["month"],
            value["day"],
            value["hour"],
            value["minute"],
            value["second"],
            value["microsecond"],
        )
    if kind == "date":
        return dt.date(value["year"], value["month"], value["day"])
    if kind == "time":
        return dt.time(value["hour"], value["minute"], value["second"], value["microsecond"])
    if kind == "timedelta":
        return dt.timedelta(seconds=value["seconds"])
    if kind == "bytes":
        return base64.b64decode(value["base64"])
    return {key: decode(item) for key, item in value.items()}


def _retry_after(response: requests.Response, default: float) -> float:
    header = response.headers.get("Retry-After")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            pass
    return default


def error_from_payload(error: Any) -> TrytonError:
    """Turn the `error` member of a JSON-RPC answer into a typed error."""
    if isinstance(error, list | tuple) and error and isinstance(error[0], str):
        name, args = error[0], error[1] if len(error) > 1 else None
        if name not in TRYTON_ERROR_NAMES:
            # Not a TrytonException: [str(exception), traceback].
            return TrytonError("ServerError", name, details=error)
        if name == "UserWarning" and isinstance(args, list | tuple) and args:
            key = str(args[0])
            message = " - ".join(str(part) for part in args[1:] if part)
            return TrytonWarningError(key, message or key, details=args)
        # UserError: (message, description, domain); the domain part is what makes them huge.
        message = " - ".join(str(part) for part in args[:2] if part) if isinstance(args, list | tuple) else str(args)
        return TrytonError(name, message or name, details=args)
    return TrytonError("ServerError", repr(error), details=error)


class TrytonClient:
    """A logged-in conversation with one Tryton database; re-logs in once when the server drops the session."""

    def __init__(
        self,
        base_url: str,
        database: str,
        login: str,
        password: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        default_retry_after: float = DEFAULT_RETRY_AFTER,
        http: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.database = database
        self.login_name = login
        self._password = password
        self.timeout = (connect_timeout, read_timeout)
        self.default_retry_after = default_retry_after
        self.http = http or requests.Session()
        self.user_id: int | None = None
        self.context: dict[str, Any] = {}
        self._session_header: str | None = None
        self._ids = itertools.count(1)

    # --- transport ------------------------------------------------------------------------------------------------
    @property
    def database_url(self) -> str:
        return f"{self.base_url}/{self.database}/rpc/"

    def _post(self, url: str, method: str, params: Sequence[Any]) -> Any:
        """One JSON-RPC request; HTTP and transport failures become ConnectorErrors (401 included)."""
        headers = {"Content-Type": "application/json"}
        if self._session_header and url == self.database_url:
            headers["Authorization"] = self._session_header
        body = {"id": next(self._ids), "method": method, "params": encode(list(params))}
        try:
            response = self.http.post(url, json=body, headers=headers, timeout=self.timeout)
        except requests.Timeout as exc:
            raise TransientError(f"Tryton {method}: timed out ({exc.__class__.__name__})") from exc
        except requests.ConnectionError as exc:
            raise TransientError(f"Tryton {method}: connection failed: {truncate(str(exc), 200)}") from exc
        except requests.RequestException as exc:
            raise TransientError(f"Tryton {method}: {truncate(str(exc), 200)}") from exc
        status = response.status_code
        if status == 401:
            raise AuthenticationError(f"Tryton {method}: not authenticated (401)", status=status)
        if status == 429:
            retry_after = _retry_after(response, self.default_retry_after)
            raise RateLimitedError(
                f"Tryton {method}: too many requests (429), retry after {retry_after:.0f} s",
                status=status,
                retry_after=retry_after,
            )
        if status >= 500:
            raise TransientError(f"Tryton {method}: HTTP {status}: {truncate(response.text, 200)}", status=status)
        if status >= 400:
            raise PermanentError(f"Tryton {method}: HTTP {status}: {truncate(response.text, 200)}", status=status)
        try:
            payload = response.json()
        except ValueError as exc:
            # A 200 that is not JSON is a proxy page or a cut connection, not an answer from Tryton.
            raise TransientError(f"Tryton {method}: answer is not JSON: {truncate(response.text, 200)}") from exc
        if not isinstance(payload, dict):
            raise TransientError(f"Tryton {method}: unexpected answer {truncate(repr(payload), 200)}")
        if payload.get("error"):
            error = error_from_payload(payload["error"])
            logger.info("Tryton %s refused: %s", method, error.message)
            raise error
        return decode(payload.get("result"))

    def rpc(self, method: str, params: Sequence[Any]) -> Any:
        """A database-level call (`model.*`, `wizard.*`, `common.db.*`), logging in first and again on a 401."""
        if self._session_header is None:
            self.login()
        try:
            return self._post(self.database_url, method, params)
        except AuthenticationError:
            # Expired, logged out or deleted server-side: the call never ran, so it is safe to replay once.
            logger.info("Tryton session refused on %s: logging in again", method)
            self.login()
            return self._post(self.database_url, method, params)

    def server_version(self) -> str:
        """`common.server.version`, which needs no login: a cheap health probe."""
        return str(self._post(f"{self.base_url}/rpc/", "common.server.version", []))

    # --- session --------------------------------------------------------------------------------------------------
    def login(self) -> int:
        """Open a Tryton session and load the user's context (company, language, ...); returns the user id."""
        self._session_header = None
        try:
            result = self._post(self.database_url, "common.db.login", [self.login_name, {"password": self._password}])
        except AuthenticationError as exc:
            raise AuthenticationError(
                f"Tryton refused the credentials of {self.login_name!r} on database {self.database!r}",
                status=exc.status,
            ) from exc
        except TrytonError as exc:
            if exc.name == "LoginException":  # the server asks for a second factor we cannot give
                raise AuthenticationError(f"Tryton login needs more than a password: {exc.message}") from exc
            raise
        if not isinstance(result, list) or len(result) < 2:
            raise AuthenticationError(f"Tryton login answered {truncate(repr(result), 200)}")
        user_id, token = int(result[0]), str(result[1])
        credentials = f"{self.login_name}:{user_id}:{token}".encode()
        self._session_header = f"Session {base64.b64encode(credentials).decode('ascii')}"
        self.user_id = user_id
        context = self._post(self.database_url, "model.res.user.get_preferences", [True, {}])
        self.context = dict(context) if isinstance(context, dict) else {}
        return user_id

    def logout(self) -> None:
        if self._session_header is None:
            return
        try:
            self._post(self.database_url, "common.db.logout", [])
        except AuthenticationError:
            pass  # already gone
        finally:
            self._session_header = None
            self.user_id = None

    def close(self) -> None:
        try:
            self.logout()
        except ConnectorError:
            logger.info("Tryton logout failed while closing", exc_info=True)
        finally:
            self.http.close()

    def __enter__(self) -> TrytonClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # --- model calls ----------------------------------------------------------------------------------------------
    def _context(self, extra: Mapping[str, Any] | None) -> dict[str, Any]:
        return {**self.context, **(extra or {})}

    def call(self, model: str, method: str, *args: Any, context: Mapping[str, Any] | None = None) -> Any:
        """`model.<model>.<method>(*args, context)`: buttons (`quote`, `post`), `search_count`, anything in __rpc__."""
        if self._session_header is None:
            self.login()  # the context comes from the login
        return self.rpc(f"model.{model}.{method}", [*args, self._context(context)])

    def search(
        self,
        model: str,
        domain: Domain,
        *,
        offset: int = 0,
        limit: int | None = None,
        order: Order | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> list[int]:
        ids = self.call(model, "search", list(domain), offset, limit, _order(order), context=context)
        return [int(record_id) for record_id in ids]

    def search_read(
        self,
        model: str,
        domain: Domain,
        fields: Sequence[str],
        *,
        offset: int = 0,
        limit: int | None = None,
        order: Order | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> list[Record]:
        """Records matching `domain`; a dotted field (`party.name`) comes back nested under the key `party.`."""
        records = self.call(
            model, "search_read", list(domain), offset, limit, _order(order), list(fields), context=context
        )
        return list(records)

    def read(
        self, model: str, ids: Sequence[int], fields: Sequence[str], *, context: Mapping[str, Any] | None = None
    ) -> list[Record]:
        return list(self.call(model, "read", list(ids), list(fields), context=context))

    def create(
        self, model: str, records: Sequence[Mapping[str, Any]], *, context: Mapping[str, Any] | None = None
    ) -> list[int]:
        """Raw create: no on_change runs, so send what the GUI would have filled (addresses, locations...)."""
        ids = self.call(model, "create", [dict(record) for record in records], context=context)
        return [int(record_id) for record_id in ids]

    def write(
        self,
        model: str,
        ids: Sequence[int],
        values: Mapping[str, Any],
        *,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        self.call(model, "write", list(ids), dict(values), context=context)

    def delete(self, model: str, ids: Sequence[int], *, context: Mapping[str, Any] | None = None) -> None:
        self.call(model, "delete", list(ids), context=context)

    # --- explicit opt-ins -----------------------------------------------------------------------------------------
    def call_acknowledging_warnings(
        self,
        model: str,
        method: str,
        *args: Any,
        max_warnings: int = 5,
        context: Mapping[str, Any] | None = None,
    ) -> tuple[Any, list[str]]:
        """Call, accepting each UserWarning the way a user clicking "Yes" would; returns (result, warning keys).

        Only for callers that decided the soft checks do not apply (e.g. a duplicate-reference warning after our own
        duplicate detection has run). Each warning is accepted once (`always` false) for this user.
        """
        acknowledged: list[str] = []
        while True:
            try:
                return self.call(model, method, *args, context=context), acknowledged
            except TrytonWarningError as warning:
                if len(acknowledged) >= max_warnings or warning.key in acknowledged:
                    raise
                logger.info("Tryton warning %s acknowledged on %s.%s", warning.key, model, method)
                self.create("res.user.warning", [{"user": self.user_id, "name": warning.key, "always": False}])
                acknowledged.append(warning.key)

    def run_wizard(
        self,
        wizard: str,
        *,
        model: str,
        ids: Sequence[int],
        steps: Sequence[tuple[str, Mapping[str, Any]]],
    ) -> dict[str, Any]:
        """Drive a wizard as the GUI does: open it on records, then for each (button, values) fill the current form.

        The form sent with each button is the view's defaults overlaid with `values`; returns the last answer
        (``{}`` once the wizard has ended). Example: ``run_wizard("account.invoice.pay", model="account.invoice",
        ids=[7], steps=[("choice", {"payment_method": 1})])``.
        """
        context = self._context({"active_model": model, "active_id": ids[0] if ids else None, "active_ids": list(ids)})
        if self._session_header is None:
            self.login()
            context = self._context(context)
        session_id, start_state, _end_state = self.rpc(f"wizard.{wizard}.create", [context])
        try:
            result: dict[str, Any] = self.rpc(f"wizard.{wizard}.execute", [session_id, {}, start_state, context])
            for button, values in steps:
                view = result.get("view")
                if not view:
                    raise PermanentError(f"Tryton wizard {wizard} ended before the {button!r} step")
                form = {
                    name: value
                    for name, value in {**view.get("defaults", {}), **view.get("values", {})}.items()
                    if "." not in name  # rec_name companions such as `payee.` are display-only
                }
                form.update(values)
                result = self.rpc(f"wizard.{wizard}.execute", [session_id, {view["state"]: form}, button, context])
            return result
        finally:
            try:
                self.rpc(f"wizard.{wizard}.delete", [session_id, context])
            except ConnectorError:
                logger.info("Tryton wizard %s session %s not deleted", wizard, session_id, exc_info=True)


def _order(order: Order | None) -> list[list[str]] | None:
    return [list(item) for item in order] if order is not None else None
