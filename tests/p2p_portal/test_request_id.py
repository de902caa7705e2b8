"""The request id follows the work: response header, log lines, outbound HTTP calls."""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
from django.test import Client

from p2p_portal.http import OutboundSession
from p2p_portal.logging import JsonFormatter, RequestContextFilter
from p2p_portal.request_context import request_id_context


def test_every_response_carries_a_request_id(client: Client) -> None:
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32
    assert first != second


def test_a_callers_request_id_is_kept_and_an_unsafe_one_replaced(client: Client) -> None:
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a9c21")["X-Request-ID"] == "lb-7f3a9c21"
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="x\r\nSet-Cookie: a=b")["X-Request-ID"]
    assert "Set-Cookie" not in forged
    assert len(forged) == 32


def test_json_log_lines_carry_the_request_id_and_extra_fields() -> None:
    record = logging.LogRecord("p2p.test", logging.INFO, __file__, 1, "invoice %s received", ("INV-1",), None)
    record.invoice_id = 42
    with request_id_context("req-12345678"):
        RequestContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "invoice INV-1 received"
    assert line["request_id"] == "req-12345678"
    assert line["invoice_id"] == 42
    assert line["level"] == "info"


class _EchoHeaders(BaseHTTPRequestHandler):
    received: dict[str, str] = {}

    def do_GET(self) -> None:
        type(self).received = dict(self.headers)
        if self.path == "/slow":
            time.sleep(1.0)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo_server():
    server = HTTPServer(("127.0.0.1", 0), _EchoHeaders)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_outbound_calls_pass_the_request_id_on(echo_server: str) -> None:
    with request_id_context("req-outbound-1"):
        response = OutboundSession().get(echo_server + "/ping")
    assert response.status_code == 204
    assert _EchoHeaders.received["X-Request-ID"] == "req-outbound-1"
    assert _EchoHeaders.received["User-Agent"] == "p2p-portal"


def test_outbound_calls_time_out_without_being_told_to(echo_server: str) -> None:
    session = OutboundSession(timeout=(1.0, 0.2))
    with pytest.raises(requests.Timeout):
        session.get(echo_server + "/slow")


def test_log_lines_name_the_api_client_that_made_the_request(client, north, south) -> None:
    from tests.factories import make_api_client

    erp = make_api_client("erp-sync", ["org:read"], north)
    handler = _Collect()
    handler.addFilter(RequestContextFilter())
    logging.getLogger("django.request").addHandler(handler)
    try:
        response = client.get("/api/v1/facilities/SOUTH/", HTTP_X_REQUEST_ID="req-client-0001", **erp.headers)
    finally:
        logging.getLogger("django.request").removeHandler(handler)
    assert response.status_code == 404
    line = json.loads(JsonFormatter().format(handler.records[-1]))
    assert line["message"] == "Not Found: /api/v1/facilities/SOUTH/"
    assert line["actor"] == "api client erp-sync"
    assert line["request_id"] == "req-client-0001"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
