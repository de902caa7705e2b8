"""Start and stop the sandbox as a child process on a free port (tests, benchmarks, the demo).

with SandboxProcess(orders=500, api_key="k") as sandbox:
    requests.get(f"{sandbox.base_url}/api/suppliers", headers={"X-COUPA-API-KEY": "k"})
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from integrations.sandbox.server import API_KEY_HEADER

REPOSITORY = Path(__file__).resolve().parents[2]


class SandboxStartError(RuntimeError):
    """The sandbox did not come up; the message carries what it wrote to stderr."""


class SandboxProcess:
    """A sandbox child process; `start()` returns once it answers HTTP, `stop()` ends it."""

    def __init__(
        self,
        *,
        api_key: str = "sandbox-test-key",
        host: str = "127.0.0.1",
        seed: int = 1,
        suppliers: int = 200,
        orders: int = 1000,
        lines_per_order: int = 5,
        receipts_ratio: float = 0.6,
        max_limit: int = 50,
        switches: dict[str, float | int] | None = None,
        fault_seed: int | None = None,
        extra_arguments: list[str] | None = None,
        startup_timeout: float = 20.0,
    ) -> None:
        self.api_key = api_key
        self.host = host
        self.startup_timeout = startup_timeout
        self.arguments = [
            "--host", host, "--port", "0", "--api-key", api_key, "--seed", str(seed),
            "--suppliers", str(suppliers), "--orders", str(orders), "--lines-per-order", str(lines_per_order),
            "--receipts-ratio", str(receipts_ratio), "--max-limit", str(max_limit),
        ]  # fmt: skip
        for name, value in (switches or {}).items():
            self.arguments += [f"--{name.replace('_', '-')}", str(value)]
        if fault_seed is not None:
            self.arguments += ["--fault-seed", str(fault_seed)]
        self.arguments += extra_arguments or []
        self.port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("the sandbox is not running")
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> Self:
        if self._process is not None:
            raise RuntimeError("already started")
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115  (kept open for the child's lifetime)
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPOSITORY), os.environ.get("PYTHONPATH", "")])}
        self._process = subprocess.Popen(  # noqa: S603  (our own interpreter and module, fixed arguments)
            [sys.executable, "-m", "integrations.sandbox", *self.arguments],
            cwd=REPOSITORY,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        try:
            self.port = self._read_ready_line()
            self._wait_until_answering()
        except BaseException:
            self.stop()
            raise
        return self

    def _failure(self, reason: str) -> SandboxStartError:
        output = b""
        if self._stderr is not None:
            self._stderr.seek(0)
            output = self._stderr.read()[-4000:]
        return SandboxStartError(f"{reason}; stderr: {output.decode(errors='replace')}")

    def _read_ready_line(self) -> int:
        if self._process is None or self._process.stdout is None:
            raise RuntimeError("not started")
        deadline = time.monotonic() + self.startup_timeout
        buffer = b""
        descriptor = self._process.stdout.fileno()
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._failure("the sandbox printed no ready line in time")
            readable, _, _ = select.select([descriptor], [], [], remaining)
            if readable:
                chunk = os.read(descriptor, 4096)
                if not chunk:
                    raise self._failure(f"the sandbox exited with {self._process.wait()}")
                buffer += chunk
        ready = json.loads(buffer.split(b"\n", 1)[0])
        return int(ready["port"])

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.base_url}/_health", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise self._failure("the sandbox does not answer /_health")
            time.sleep(0.05)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        self.port = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    # --- the control endpoint, for tests -------------------------------------------------------------------

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(  # noqa: S310  (our own URL)
            f"{self.base_url}{path}",
            method=method,
            data=None if payload is None else json.dumps(payload).encode(),
            headers={API_KEY_HEADER: self.api_key, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                return json.loads(answer.read())
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"sandbox control {path} failed: {error.code} {error.read().decode()}") from None

    def control(self, action: str, **parameters: Any) -> dict[str, Any]:
        """POST /_control {"action": action, **parameters} and return the answer."""
        answer: dict[str, Any] = self._call("POST", "/_control", {"action": action, **parameters})
        return answer

    def configure(self, **switches: float | int) -> dict[str, Any]:
        return self.control("configure", switches=switches)

    def stats(self) -> dict[str, Any]:
        answer: dict[str, Any] = self._call("GET", "/_control/stats")
        return answer
