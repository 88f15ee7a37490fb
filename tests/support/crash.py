"""Real processes for the crash, overload and log tests: a PostgreSQL cluster of our own that a test
may crash (`pg_ctl stop -m immediate`), `kelisim serve [--production]` in its own process group, and
a threaded client that remembers exactly which consents the server acknowledged.

Modelled on scripts/postgres (a throwaway cluster in a temporary directory, run as the `postgres`
user when we are root), but owned by one test so stopping it cannot disturb the shared one.
Everything listens on 127.0.0.1 only, and every loop here is bounded in time.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from kelisim.store.note import Signer
from tests.support.log_capture import forbid, watch_file

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# `python -m kelisim.cli.main` from the checkout: the code under test, whatever the venv has
# installed.
KELISIM = [sys.executable, "-m", "kelisim.cli.main"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(
    port: int, timeout: float = 30.0, process: subprocess.Popen | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


# --- PostgreSQL ----------------------------------------------------------------------------------


def pg_bin() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
    for candidate in reversed(candidates):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _as_pg(args: list[str], **kwargs: object) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]


class PgCluster:
    """A cluster in a fresh temp directory; start/stop(mode)/restart, with server options."""

    def __init__(self, options: dict[str, str] | None = None) -> None:
        binary = pg_bin()
        if binary is None:
            raise RuntimeError("no PostgreSQL server binaries (run scripts/setup)")
        self.bin = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="kelisim-crash-pg."))
        self.dir.chmod(0o700)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self.options = {
            "listen_addresses": "127.0.0.1",
            "fsync": "on",
            "synchronous_commit": "on",
            **(options or {}),
        }
        _as_pg(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.dir / "data"),
                "-A",
                "trust",
                "-U",
                "postgres",
            ]
        )

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        settings = " ".join(f"-c {key}={value}" for key, value in self.options.items())
        _as_pg(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.dir / "data"),
                "-w",
                "-t",
                "60",
                "-l",
                str(self.dir / "server.log"),
                "-o",
                f"-p {self.port} -k {self.dir} {settings}",
                "start",
            ]
        )

    def stop(self, mode: str = "fast") -> None:
        _as_pg([str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", mode, "-w", "stop"])

    def destroy(self) -> None:
        with suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def pg_cluster(options: dict[str, str] | None = None) -> Iterator[PgCluster]:
    cluster = PgCluster(options)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


# --- kelisim serve -------------------------------------------------------------------------------


def production_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KELISIM_")}
    env.update(
        KELISIM_DATABASE_URL=database_url,
        KELISIM_VAR_DIR=str(var_dir),
        KELISIM_SECRET_KEY=secrets.token_urlsafe(40),
        KELISIM_TOKEN_KEYS=secrets.token_urlsafe(40),
        KELISIM_IP_PEPPER=secrets.token_urlsafe(40),
        KELISIM_LOG_SIGNING_KEY=str(Signer.generate("test.kelisim.kz/log")),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Server:
    """`kelisim serve` as a child in its own session, so killpg reaches master and workers alike."""

    def __init__(
        self, env: dict[str, str], log: Path, *, production: bool = True, args: tuple[str, ...] = ()
    ) -> None:
        self.env = env
        self.log = log
        self.production = production
        self.args = args
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        watch_file(log)  # the server's own output is scanned for personal data too

    def start(self, timeout: float = 60.0) -> Server:
        command = [*KELISIM, "serve", "--port", str(self.port), *self.args]
        if self.production:
            command.append("--production")
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=PROJECT_ROOT,
            )
        wait_for_port(self.port, timeout, self.process)
        # gunicorn's master listens before its workers have imported the app: wait for an answer.
        deadline = time.monotonic() + timeout
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/v1/config?site=default&lang=ru")
                if conn.getresponse().status == 200:
                    conn.close()
                    return self
                conn.close()
            except (OSError, http.client.HTTPException):
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError("the server never answered")
            time.sleep(0.05)

    def kill(self) -> None:
        """kill -9 the whole process group: no worker gets to finish or flush anything."""
        assert self.process is not None
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill()


# --- the client ----------------------------------------------------------------------------------


def consent_body(event_id: str, revision: int = 1) -> dict:
    return {
        "site": "default",
        "revision": revision,
        "language": "ru",
        "action": "accept_all",
        "event_id": event_id,
        "page": "/credit",
    }


def post(
    port: int,
    path: str,
    body: dict,
    timeout: float = 5.0,
    conn: http.client.HTTPConnection | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict, http.client.HTTPConnection]:
    if conn is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request(
        "POST",
        path,
        json.dumps(body).encode(),
        {"Content-Type": "application/json", **(headers or {})},
    )
    response = conn.getresponse()
    data = response.read()
    try:
        payload = json.loads(data) if data else {}
    except ValueError:
        payload = {}
    if isinstance(payload, dict):
        forbid(payload.get("consent_id"), payload.get("token"))
    return response.status, payload, conn


@dataclass
class LoadResult:
    acked: dict[str, dict] = field(default_factory=dict)  # event_id -> body, 2xx seen
    unacked: dict[str, dict] = field(default_factory=dict)  # sent, no 2xx seen (yet)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0


class Load:
    """`threads` clients posting consents with their own event ids until stopped (or `limit` s)."""

    def __init__(self, port: int, threads: int = 8, limit: float = 20.0) -> None:
        self.port = port
        self.threads = threads
        self.limit = limit
        self.stop_event = threading.Event()
        self.result = LoadResult()
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []

    def _run(self, number: int) -> None:
        conn: http.client.HTTPConnection | None = None
        deadline = time.monotonic() + self.limit
        sequence = 0
        while not self.stop_event.is_set() and time.monotonic() < deadline:
            sequence += 1
            event_id = f"c{number}-{sequence}-{secrets.token_hex(4)}"
            body = consent_body(event_id)
            with self._lock:
                self.result.unacked[event_id] = body
            try:
                status, _payload, conn = post(self.port, "/api/v1/consent", body, 5.0, conn)
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                conn = None
                with self._lock:
                    self.result.errors += 1
                time.sleep(0.02)
                continue
            with self._lock:
                self.result.statuses[status] = self.result.statuses.get(status, 0) + 1
                if 200 <= status < 300:
                    self.result.acked[event_id] = self.result.unacked.pop(event_id)
        if conn is not None:
            conn.close()

    def start(self) -> Load:
        for number in range(self.threads):
            worker = threading.Thread(target=self._run, args=(number,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def stop(self) -> LoadResult:
        self.stop_event.set()
        for worker in self._workers:
            worker.join(timeout=15)
        return self.result


def retry_all(port: int, bodies: dict[str, dict], attempts: int = 20) -> dict[str, int]:
    """Send every body again (same event_id, same content) until each gets a 2xx; bounded."""
    results: dict[str, int] = {}
    pending = dict(bodies)
    for _ in range(attempts):
        conn = None
        for event_id, body in list(pending.items()):
            try:
                status, _payload, conn = post(port, "/api/v1/consent", body, 5.0, conn)
            except (OSError, http.client.HTTPException):
                conn = None
                continue
            results[event_id] = status
            if 200 <= status < 300:
                del pending[event_id]
        if conn is not None:
            conn.close()
        if not pending:
            break
        time.sleep(0.5)
    return results
