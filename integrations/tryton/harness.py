"""A live Tryton 8.2 for tests and the demo: installed from PyPI in its own virtualenv, seeded once, served from copies.

    python -m integrations.tryton.harness install    # virtualenv + pinned trytond modules (skipped when present)
    python -m integrations.tryton.harness snapshot   # new SQLite database, modules activated, P2P seed, snapshot
    python -m integrations.tryton.harness serve      # trytond on a free port (or --port) from a copy of the snapshot

Everything lives under ``$P2P_TRYTON_HOME`` (default ``~/.cache/p2p-portal/tryton-8.2``), never in the repository
nor in the project's virtualenv. The admin password comes from ``$P2P_TRYTON_ADMIN_PASSWORD`` or is generated once
into the cache directory (mode 0600). Standard library only: tests import this before Django is configured.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

DATABASE = "p2p"
ADMIN_LOGIN = "admin"
HOME_ENV = "P2P_TRYTON_HOME"
PASSWORD_ENV = "P2P_TRYTON_ADMIN_PASSWORD"  # noqa: S105 - the variable's name, not a password
DEFAULT_HOME = Path("~/.cache/p2p-portal/tryton-8.2")
# Exact pins: the marker file records them, and a change here reinstalls and reseeds.
REQUIREMENTS = (
    "trytond==8.2.1",
    "trytond-party==8.2.0",
    "trytond-company==8.2.0",
    "trytond-currency==8.2.0",
    "trytond-country==8.2.0",
    "trytond-product==8.2.0",
    "trytond-stock==8.2.1",
    "trytond-purchase==8.2.0",
    "trytond-account==8.2.1",
    "trytond-account-invoice==8.2.0",
    "trytond-account-product==8.2.0",
    "trytond-account-invoice-stock==8.2.0",
    "trytond-edocument-unece==8.2.0",
    "trytond-edocument-ubl==8.2.0",
    "proteus==8.2.0",
)
# Activated with their dependencies (party, company, currency, product, stock, account, account_invoice, ...).
MODULES = ("purchase", "account_invoice_stock", "edocument_ubl")
SEED_SCRIPT = Path(__file__).with_name("seed.py")
PIP_TIMEOUT = 900.0
ADMIN_TIMEOUT = 900.0
START_TIMEOUT = 60.0


class TrytonUnavailableError(RuntimeError):
    """The test Tryton could not be installed, seeded or started; the message says which step and why."""


@dataclass(frozen=True)
class TrytonHome:
    """The cache directory that holds the Tryton virtualenv, the admin password and the seeded snapshot."""

    root: Path

    @classmethod
    def from_environment(cls) -> TrytonHome:
        return cls(Path(os.environ.get(HOME_ENV) or DEFAULT_HOME).expanduser().resolve())

    @property
    def venv(self) -> Path:
        return self.root / "venv"

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def install_marker(self) -> Path:
        return self.root / "installed.json"

    @property
    def password_file(self) -> Path:
        return self.root / "admin-password"

    @property
    def snapshot(self) -> Path:
        return self.root / "snapshot" / f"{DATABASE}.sqlite"

    @property
    def snapshot_marker(self) -> Path:
        return self.root / "snapshot" / "snapshot.json"

    @property
    def runs(self) -> Path:
        return self.root / "runs"


def _log(message: str) -> None:
    print(f"[tryton-harness] {message}", file=sys.stderr, flush=True)


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _write_json(path: Path, payload: dict[str, object]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True))
    tmp.replace(path)


def _run(command: Sequence[str | Path], *, step: str, timeout: float, env: dict[str, str] | None = None) -> str:
    try:
        completed = subprocess.run(  # noqa: S603 - fixed argv built from our own paths, no shell
            [str(part) for part in command],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise TrytonUnavailableError(f"{step}: timed out after {timeout:.0f} s") from exc
    except OSError as exc:
        raise TrytonUnavailableError(f"{step}: {exc}") from exc
    if completed.returncode != 0:
        tail = (completed.stdout + completed.stderr).strip()[-2000:]
        raise TrytonUnavailableError(f"{step} failed (exit {completed.returncode}):\n{tail}")
    return completed.stdout


def admin_password(home: TrytonHome) -> str:
    """The environment's password if set, else the one generated into the cache directory on first use."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if home.password_file.exists():
        return home.password_file.read_text().strip()
    home.root.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(18)
    try:
        fd = os.open(home.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process generated it first
        return home.password_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    return password


def is_installed(home: TrytonHome) -> bool:
    marker = _read_json(home.install_marker)
    return (
        isinstance(marker, dict)
        and marker.get("requirements") == list(REQUIREMENTS)
        and (home.bin / "trytond").exists()
        and (home.bin / "trytond-admin").exists()
    )


def install(home: TrytonHome, *, force: bool = False) -> float:
    """Create the virtualenv and pip-install the pinned modules unless the marker says they are there; seconds spent."""
    if not force and is_installed(home):
        return 0.0
    started = time.monotonic()
    home.root.mkdir(parents=True, exist_ok=True)
    home.install_marker.unlink(missing_ok=True)
    if home.venv.exists():
        shutil.rmtree(home.venv)
    _log(f"creating virtualenv {home.venv}")
    # The base interpreter, not the project's venv: the Tryton venv must not see the project's packages.
    base_python = getattr(sys, "_base_executable", sys.executable)
    _run([base_python, "-m", "venv", home.venv], step="python -m venv", timeout=300)
    _log(f"pip install {len(REQUIREMENTS)} pinned packages")
    _run(
        [home.bin / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *REQUIREMENTS],
        step="pip install trytond (needs network access to PyPI)",
        timeout=PIP_TIMEOUT,
    )
    seconds = time.monotonic() - started
    _write_json(
        home.install_marker,
        {"requirements": list(REQUIREMENTS), "installed_at": time.time(), "seconds": round(seconds, 1)},
    )
    _log(f"installed in {seconds:.1f} s")
    return seconds


def _snapshot_fingerprint(password: str) -> str:
    digest = hashlib.sha256()
    digest.update("\n".join(REQUIREMENTS).encode())
    digest.update(" ".join(MODULES).encode())
    digest.update(SEED_SCRIPT.read_bytes())
    # The snapshot holds the admin password's hash: a different password needs a new snapshot.
    digest.update(hashlib.sha256(password.encode()).digest())
    return digest.hexdigest()


def has_snapshot(home: TrytonHome) -> bool:
    marker = _read_json(home.snapshot_marker)
    return (
        isinstance(marker, dict)
        and marker.get("fingerprint") == _snapshot_fingerprint(admin_password(home))
        and home.snapshot.exists()
    )


def _write_config(path: Path, *, database_dir: Path, port: int) -> None:
    path.write_text(
        "[database]\n"
        "uri = sqlite://\n"
        f"path = {database_dir}\n"
        "list = False\n"
        "[web]\n"
        f"listen = 127.0.0.1:{port}\n"
        "[session]\n"
        "timeout = 3600\n"
    )


def build_snapshot(home: TrytonHome, *, force: bool = False) -> float:
    """Initialise a SQLite database, activate the modules, seed it and keep the file as the snapshot; seconds spent."""
    if not force and has_snapshot(home):
        return 0.0
    if not is_installed(home):
        raise TrytonUnavailableError(f"Tryton is not installed in {home.root}: run the install step first")
    started = time.monotonic()
    password = admin_password(home)
    home.snapshot.parent.mkdir(parents=True, exist_ok=True)
    home.snapshot_marker.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="build-", dir=home.root) as build:
        build_dir = Path(build)
        config = build_dir / "trytond.conf"
        _write_config(config, database_dir=build_dir, port=_free_port())
        (build_dir / f"{DATABASE}.sqlite").touch()  # the SQLite backend will not create the file itself
        password_file = build_dir / "password"
        fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(password)
        env = {**os.environ, "TRYTONPASSFILE": str(password_file)}
        env.pop("TRYTOND_CONFIG", None)
        _log("trytond-admin --all (initialise the database)")
        _run(
            [home.bin / "trytond-admin", "-c", config, "-d", DATABASE, "--all", "--email", "admin@example.com"],
            step="trytond-admin --all",
            timeout=ADMIN_TIMEOUT,
            env=env,
        )
        initialised = time.monotonic()
        _log(f"activating {' '.join(MODULES)} with their dependencies")
        _run(
            [home.bin / "trytond-admin", "-c", config, "-d", DATABASE, "-u", *MODULES, "--activate-dependencies"],
            step="trytond-admin -u (activate modules)",
            timeout=ADMIN_TIMEOUT,
            env=env,
        )
        activated = time.monotonic()
        _log("seeding company, chart of accounts, fiscal year, suppliers, products")
        _run([home.bin / "python", SEED_SCRIPT, DATABASE, config], step="seed", timeout=ADMIN_TIMEOUT, env=env)
        seeded = time.monotonic()
        staged = home.snapshot.with_suffix(".tmp")
        shutil.copyfile(build_dir / f"{DATABASE}.sqlite", staged)
        staged.replace(home.snapshot)
    seconds = time.monotonic() - started
    _write_json(
        home.snapshot_marker,
        {
            "fingerprint": _snapshot_fingerprint(password),
            "created_at": time.time(),
            "seconds": {
                "initialise": round(initialised - started, 1),
                "activate": round(activated - initialised, 1),
                "seed": round(seeded - activated, 1),
                "total": round(seconds, 1),
            },
        },
    )
    _log(f"snapshot {home.snapshot} in {seconds:.1f} s")
    return seconds


@contextmanager
def _exclusive(home: TrytonHome) -> Iterator[None]:
    """One installer at a time per cache directory (parallel test sessions, a demo started alongside)."""
    home.root.mkdir(parents=True, exist_ok=True)
    with (home.root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure_ready(home: TrytonHome | None = None) -> TrytonHome:
    """Install and snapshot when missing (both are cached), so that `serve` can start."""
    home = home or TrytonHome.from_environment()
    with _exclusive(home):
        install(home)
        build_snapshot(home)
    return home


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _rpc_answers(url: str, timeout: float = 2.0) -> bool:
    body = json.dumps({"id": 0, "method": "common.server.version", "params": []}).encode()
    request = urllib.request.Request(  # noqa: S310 - always http://127.0.0.1
        f"{url}/rpc/", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return bool(json.loads(response.read()).get("result"))
    except (OSError, ValueError):
        return False


class TrytonServer:
    """One trytond process serving a private copy of the snapshot; stop() ends it and removes the copy."""

    def __init__(self, home: TrytonHome, *, port: int | None = None, keep_files: bool = False) -> None:
        self.home = home
        self.port = port or _free_port()
        self.database = DATABASE
        self.login = ADMIN_LOGIN
        self.password = admin_password(home)
        self.keep_files = keep_files
        self.run_dir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.startup_seconds = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_file(self) -> Path:
        if self.run_dir is None:
            raise TrytonUnavailableError("the server is not started")
        return self.run_dir / f"{self.database}.sqlite"

    @property
    def log_file(self) -> Path:
        if self.run_dir is None:
            raise TrytonUnavailableError("the server is not started")
        return self.run_dir / "trytond.log"

    def start(self) -> TrytonServer:
        if not has_snapshot(self.home):
            raise TrytonUnavailableError(f"no snapshot in {self.home.root}: run the snapshot step first")
        started = time.monotonic()
        self.home.runs.mkdir(parents=True, exist_ok=True)
        self.run_dir = Path(tempfile.mkdtemp(prefix=f"{self.port}-", dir=self.home.runs))
        shutil.copyfile(self.home.snapshot, self.database_file)
        self.clear_login_attempts()
        config = self.run_dir / "trytond.conf"
        _write_config(config, database_dir=self.run_dir, port=self.port)
        env = {key: value for key, value in os.environ.items() if key != "TRYTOND_CONFIG"}
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv built from our own paths
                [str(self.home.bin / "trytond"), "-c", str(config), "-d", self.database],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not _rpc_answers(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log_file.read_text(errors="replace")[-2000:]
                self.stop()
                raise TrytonUnavailableError(f"trytond did not answer on {self.url}:\n{tail}")
            time.sleep(0.2)
        self.startup_seconds = time.monotonic() - started
        return self

    def _execute(self, statement: str) -> None:
        connection = sqlite3.connect(self.database_file, timeout=30)
        try:
            with connection:
                connection.execute(statement)
        finally:
            connection.close()

    def clear_login_attempts(self) -> None:
        """Forget failed logins, so that Tryton's throttling (HTTP 429 after 5) does not leak between tests."""
        self._execute("DELETE FROM res_user_login_attempt")

    def drop_sessions(self) -> None:
        """Delete every session server-side, as an expiry or a restart of Tryton would."""
        self._execute("DELETE FROM ir_session")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if self.run_dir is not None and not self.keep_files:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir = None

    def __enter__(self) -> TrytonServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


@contextmanager
def running_tryton(home: TrytonHome | None = None, *, port: int | None = None) -> Iterator[TrytonServer]:
    """Install and snapshot when missing, then serve a fresh copy for the duration of the block."""
    with TrytonServer(ensure_ready(home), port=port) as server:
        yield server


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m integrations.tryton.harness", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    install_parser = commands.add_parser("install", help="create the virtualenv and install the pinned modules")
    install_parser.add_argument("--force", action="store_true", help="reinstall even if the marker says done")
    snapshot_parser = commands.add_parser("snapshot", help="install if needed, then build the seeded snapshot")
    snapshot_parser.add_argument("--force", action="store_true", help="rebuild even if the snapshot is current")
    serve_parser = commands.add_parser("serve", help="serve a copy of the snapshot until interrupted")
    serve_parser.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: a free one)")
    serve_parser.add_argument("--keep", action="store_true", help="keep the run directory (database copy, log)")
    options = parser.parse_args(argv)
    home = TrytonHome.from_environment()
    try:
        if options.command == "install":
            with _exclusive(home):
                seconds = install(home, force=options.force)
            print(f"installed in {home.venv}" + (f" ({seconds:.1f} s)" if seconds else " (cached)"))
        elif options.command == "snapshot":
            with _exclusive(home):
                install(home)
                seconds = build_snapshot(home, force=options.force)
            print(f"snapshot {home.snapshot}" + (f" ({seconds:.1f} s)" if seconds else " (cached)"))
        else:
            ensure_ready(home)
            # SIGTERM (kill, timeout, a supervisor) must stop trytond too: it runs in its own session.
            signal.signal(signal.SIGTERM, _interrupt)
            server = TrytonServer(home, port=options.port, keep_files=options.keep)
            try:
                server.start()
                print(f"Tryton JSON-RPC at {server.url}/{server.database}/rpc/ (up in {server.startup_seconds:.1f} s)")
                print(f"login {server.login}, password in ${PASSWORD_ENV} or {home.password_file}")
                print(f"log {server.log_file}; Ctrl-C to stop", flush=True)
                while server.process is not None and server.process.poll() is None:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
            finally:
                server.stop()
    except TrytonUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
