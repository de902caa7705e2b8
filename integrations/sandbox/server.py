"""The sandbox's HTTP side: a Coupa-style read API, fault injection, and the control endpoint tests drive it with."""

from __future__ import annotations

import contextlib
import hmac
import json
import random
import re
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from integrations.sandbox import generators as gen
from integrations.sandbox.faults import Counters, FaultSwitches, RequestFault, draw_fault
from integrations.sandbox.store import SandboxStore

API_KEY_HEADER = "X-COUPA-API-KEY"
MAX_CONTROL_BODY = 1_000_000
MAX_CONTROL_COUNT = 100_000
_DETAIL = re.compile(r"^/api/(?P<entity>[a-z_]+)/(?P<id>[0-9]{1,12})/?$")
_LIST = re.compile(r"^/api/(?P<entity>[a-z_]+)/?$")
_AFTER_PARAMS = {
    "updated-at[gt]": False,
    "updated_at[gt]": False,
    "updated-at[gte]": True,
    "updated_at[gte]": True,
}


class BadRequestError(Exception):
    """The caller's request is wrong; the message says which parameter."""

    def __init__(self, message: str, *, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


class SandboxServer(ThreadingHTTPServer):
    """One thread per connection (keep-alive aware); all state lives in the store and switches."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        *,
        store: SandboxStore,
        api_key: str,
        switches: FaultSwitches | None = None,
        max_limit: int = 50,
        fault_seed: int | None = None,
        verbose: bool = False,
    ) -> None:
        if not api_key:
            raise ValueError("the sandbox needs an API key")
        self.store = store
        self.api_key = api_key.encode()
        self.max_limit = max_limit
        self.counters = Counters()
        self.verbose = verbose
        self._switch_lock = threading.Lock()
        self._fault_rng = random.Random(fault_seed)  # noqa: S311  (fault timing, not security)
        self.switches = switches or FaultSwitches()
        store.malformed_rate = self.switches.malformed_rate
        super().__init__(address, SandboxHandler)

    def configure(self, changes: dict[str, Any]) -> FaultSwitches:
        with self._switch_lock:
            self.switches = self.switches.updated(changes)
            self.store.malformed_rate = self.switches.malformed_rate
            return self.switches

    def draw(self) -> tuple[FaultSwitches, str]:
        with self._switch_lock:
            return self.switches, draw_fault(self.switches, self._fault_rng)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer is normal under fault tests; anything else is worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class SandboxHandler(BaseHTTPRequestHandler):
    """Routes: /_health, /_control (POST), /_control/stats, /api/<entity>, /api/<entity>/<id>."""

    protocol_version = "HTTP/1.1"
    server_version = "P2PSandbox/1.0"
    timeout = 60  # an idle keep-alive connection gives its thread back after this
    disable_nagle_algorithm = True  # headers and body go in two writes: Nagle plus delayed ACK would cost 40 ms
    server: SandboxServer

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # --- plumbing ---------------------------------------------------------------------------------------------

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _error(
        self, status: int, message: str, *, field: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        payload: dict[str, Any] = {"error": message}
        if field:
            payload["field"] = field
        self._send_json(status, payload, headers)

    def _drop_connection(self) -> None:
        """Answer nothing and reset the TCP connection (SO_LINGER 0 makes the close send RST)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def _authorised(self) -> bool:
        given = self.headers.get(API_KEY_HEADER, "").encode()
        return hmac.compare_digest(given, self.server.api_key)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_CONTROL_BODY:
            raise BadRequestError("request body too large", status=413)
        return self.rfile.read(length) if length else b""

    # --- routing ----------------------------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        path = url.path
        is_api = path.startswith("/api/")
        body = b""
        try:
            if path == "/_control" and method == "POST":
                body = self._read_body()
            elif method != "GET":
                self.close_connection = True  # whatever body came with it stays unread
            if path == "/_health":
                self._send_json(200, {"status": "ok"})
                return
            if not self._authorised():
                if is_api:
                    self.server.counters.request(401)
                self._error(401, f"missing or wrong {API_KEY_HEADER} header")
                return
            if path == "/_control":
                if method != "POST":
                    raise BadRequestError("use POST", status=405)
                self._send_json(200, self._control(body))
            elif path == "/_control/stats":
                if method != "GET":
                    raise BadRequestError("use GET", status=405)
                self._send_json(200, self._stats())
            elif is_api:
                self._api(method, path, url.query)
            else:
                raise BadRequestError(f"no such resource {path}", status=404)
        except BadRequestError as error:
            if is_api:
                self.server.counters.request(error.status)
            self._error(error.status, str(error), field=error.field)

    def _api(self, method: str, path: str, query: str) -> None:
        counters = self.server.counters
        switches, fault = self.server.draw()
        if switches.latency_ms:
            counters.fault("latency")
            time.sleep(switches.latency_ms / 1000)
        if fault == RequestFault.RESET:
            counters.fault("reset")
            counters.request(None)
            self._drop_connection()
            return
        if fault == RequestFault.ERROR:
            counters.fault("error")
            status = random.choice((500, 502, 503))  # noqa: S311
            counters.request(status)
            self._error(status, "injected server error")
            return
        if fault == RequestFault.RATE_LIMITED:
            counters.fault("rate_limited")
            counters.request(429)
            self._error(429, "rate limit exceeded", headers={"Retry-After": str(switches.retry_after)})
            return
        if method != "GET":
            raise BadRequestError("the API is read-only here: use GET", status=405)
        detail = _DETAIL.match(path)
        listing = _LIST.match(path)
        match = detail or listing
        if match is None or match["entity"] not in gen.ENTITIES:
            raise BadRequestError(f"no such resource {path}; entities: {', '.join(gen.ENTITIES)}", status=404)
        entity = match["entity"]
        if detail:
            if query:
                raise BadRequestError("a single record takes no query parameters")
            record, malformed = self.server.store.get(entity, int(detail["id"]))
            if record is None:
                raise BadRequestError(f"no {entity} with id {detail['id']}", status=404)
            counters.fault("malformed_records", int(malformed))
            counters.served(1)
            counters.request(200)
            self._send_json(200, record)
            return
        self._list(entity, query)

    def _list(self, entity: str, query: str) -> None:
        params = parse_qsl(query, keep_blank_values=True)
        limit = self.server.max_limit
        requested_limit = limit
        offset = 0
        after_us: int | None = None
        inclusive = False
        seen: set[str] = set()
        for name, value in params:
            if name in seen:
                raise BadRequestError(f"{name} given twice", field=name)
            seen.add(name)
            if name == "limit":
                requested_limit = _whole(name, value, minimum=1)
                limit = min(requested_limit, self.server.max_limit)
            elif name == "offset":
                offset = _whole(name, value, minimum=0)
            elif name in _AFTER_PARAMS:
                if after_us is not None:
                    raise BadRequestError("give one updated-at filter, [gt] or [gte]", field=name)
                try:
                    after_us = gen.parse_timestamp(value)
                except ValueError:
                    raise BadRequestError(f"{name} must be an ISO 8601 time", field=name) from None
                inclusive = _AFTER_PARAMS[name]
            elif (name, value.replace("-", "_")) in (("order_by", "updated_at"), ("dir", "asc")):
                continue
            else:
                raise BadRequestError(
                    f"unknown parameter {name}={value}; known: limit, offset, updated-at[gt], updated-at[gte], "
                    "order_by=updated_at, dir=asc",
                    field=name,
                )
        records, total, malformed = self.server.store.page(
            entity, after_us=after_us, inclusive=inclusive, offset=offset, limit=limit
        )
        counters = self.server.counters
        counters.fault("malformed_records", malformed)
        counters.served(len(records))
        counters.request(200)
        headers = {"X-Total-Count": str(total), "X-Page-Limit": str(limit), "X-Page-Offset": str(offset)}
        if requested_limit > limit:
            headers["X-Page-Limit-Capped"] = str(requested_limit)
        self._send_json(200, records, headers)

    # --- control ----------------------------------------------------------------------------------------------

    def _stats(self) -> dict[str, Any]:
        server = self.server
        shape = server.store.shape
        return {
            **server.counters.snapshot(),
            "switches": server.switches.as_dict(),
            "counts": server.store.counts(),
            "max_limit": server.max_limit,
            "shape": {
                "seed": shape.seed,
                "suppliers": shape.suppliers,
                "orders": shape.orders,
                "lines_per_order": shape.lines_per_order,
                "receipts_ratio": shape.receipts_ratio,
            },
        }

    def _control(self, body: bytes) -> dict[str, Any]:
        try:
            command = json.loads(body or b"{}")
        except ValueError:
            raise BadRequestError("the body must be JSON") from None
        if not isinstance(command, dict):
            raise BadRequestError("the body must be a JSON object with an action")
        action = command.get("action")
        store = self.server.store
        try:
            if action == "configure":
                switches = command.get("switches")
                if not isinstance(switches, dict):
                    raise BadRequestError("configure needs switches: {name: value}", field="switches")
                return {"switches": self.server.configure(switches).as_dict()}
            if action == "change":
                ids = _ids(command.get("ids"))
                count = 0 if ids is not None else _count(command.get("count"))
                kind = command.get("kind")
                if kind is not None and not isinstance(kind, str):
                    raise BadRequestError("kind must be a string", field="kind")
                return {"changed": store.change(_entity(command.get("entity")), count=count, ids=ids, kind=kind)}
            if action == "add":
                return {"added": store.add(_entity(command.get("entity")), count=_count(command.get("count")))}
            if action == "fix_malformed":
                entity = command.get("entity")
                entities = list(gen.ENTITIES) if entity is None else [_entity(entity)]
                return {"fixed": store.fix_malformed(entities, _ids(command.get("ids")))}
            if action == "reset_counters":
                self.server.counters.reset()
                return {"stats": self._stats()}
            if action == "reset_data":
                store.reset_data()
                return {"counts": store.counts()}
        except LookupError as error:
            raise BadRequestError(str(error), field="ids", status=404) from None
        except ValueError as error:
            raise BadRequestError(str(error)) from None
        raise BadRequestError(
            "action is one of: configure, change, add, fix_malformed, reset_counters, reset_data", field="action"
        )


def _whole(name: str, value: str, *, minimum: int) -> int:
    if not value.isdigit() or int(value) < minimum:
        raise BadRequestError(f"{name} must be a whole number >= {minimum}", field=name)
    return int(value)


def _entity(value: Any) -> str:
    if value not in gen.ENTITIES:
        raise BadRequestError(f"entity is one of: {', '.join(gen.ENTITIES)}", field="entity")
    return str(value)


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CONTROL_COUNT:
        raise BadRequestError(f"count must be a whole number from 1 to {MAX_CONTROL_COUNT}", field="count")
    return value


def _ids(value: Any) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
        raise BadRequestError("ids must be a list of record ids", field="ids")
    return list(value)
