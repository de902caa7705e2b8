"""`python -m integrations.sandbox --port 8200 --seed 1 --orders 1000 ...`: serve until interrupted."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from types import FrameType

from integrations.sandbox.faults import FaultSwitches
from integrations.sandbox.generators import DatasetShape
from integrations.sandbox.server import API_KEY_HEADER, SandboxServer
from integrations.sandbox.store import SandboxStore

API_KEY_ENV = "SANDBOX_API_KEY"
DEMO_API_KEY = "sandbox-demo-key"


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("a rate is between 0 and 1")
    return value


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m integrations.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8200, help="0 picks a free port (printed on the ready line)")
    parser.add_argument(
        "--api-key",
        default=os.environ.get(API_KEY_ENV, DEMO_API_KEY),
        help=f"value clients send in {API_KEY_HEADER} (default: ${API_KEY_ENV}, else {DEMO_API_KEY!r})",
    )
    data = parser.add_argument_group("seeded data")
    data.add_argument("--seed", type=int, default=1)
    data.add_argument("--suppliers", type=int, default=200)
    data.add_argument("--orders", type=int, default=1000)
    data.add_argument("--lines-per-order", type=int, default=5)
    data.add_argument("--receipts-ratio", type=_rate, default=0.6, help="share of goods PO lines received")
    data.add_argument("--max-limit", type=int, default=50, help="page cap: larger limits are cut to this")
    faults = parser.add_argument_group("fault injection (also settable at run time through POST /_control)")
    faults.add_argument("--latency-ms", type=int, default=0)
    faults.add_argument("--error-rate", type=_rate, default=0.0, help="share of API calls answered 500/502/503")
    faults.add_argument("--rate-limit-rate", type=_rate, default=0.0, help="share answered 429 with Retry-After")
    faults.add_argument("--retry-after", type=int, default=1, help="seconds sent in Retry-After")
    faults.add_argument("--reset-rate", type=_rate, default=0.0, help="share whose connection is reset")
    faults.add_argument("--malformed-rate", type=_rate, default=0.0, help="share of records with a broken field")
    faults.add_argument("--fault-seed", type=int, default=None, help="makes the fault sequence repeatable")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def build_server(arguments: argparse.Namespace) -> SandboxServer:
    shape = DatasetShape(
        seed=arguments.seed,
        suppliers=arguments.suppliers,
        orders=arguments.orders,
        lines_per_order=arguments.lines_per_order,
        receipts_ratio=arguments.receipts_ratio,
    )
    switches = FaultSwitches(
        latency_ms=arguments.latency_ms,
        error_rate=arguments.error_rate,
        rate_limit_rate=arguments.rate_limit_rate,
        retry_after=arguments.retry_after,
        reset_rate=arguments.reset_rate,
        malformed_rate=arguments.malformed_rate,
    )
    if arguments.max_limit < 1:
        raise ValueError("--max-limit must be at least 1")
    return SandboxServer(
        (arguments.host, arguments.port),
        store=SandboxStore(shape),
        api_key=arguments.api_key,
        switches=switches,
        max_limit=arguments.max_limit,
        fault_seed=arguments.fault_seed,
        verbose=arguments.verbose,
    )


def _stop(_signal: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        server = build_server(arguments)
    except (ValueError, OSError) as error:
        print(f"sandbox: {error}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop)
    host, port = server.server_address[:2]
    # One JSON line on stdout tells a parent process (integrations.sandbox.process) where we listen.
    print(json.dumps({"sandbox": "ready", "url": f"http://{host!s}:{port}", "port": port}), flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
