"""Capacity of consent POSTs on the production server against a Flask hello POST: a consent must be
acknowledged only once durable, and 16 concurrent visitors must not be shed (docs/log.md).

For each database — a fresh SQLite file in WAL + FULL mode, and a throwaway PostgreSQL cluster with
`synchronous_commit=on` — starts `kelisim serve --production` (gunicorn) on 127.0.0.1 and drives
`POST /api/v1/consent` from 16, then 64 keep-alive connections for `--seconds` each, with wrk (a Lua
script builds a body with its own event_id for every request; scripts/wrk installs it from Debian
when missing) or, with `--python` or where wrk cannot be installed, a threaded Python client, whose
own CPU then caps the hello baseline and flatters the ratio. Then the baseline: a Flask app that
only parses the JSON and answers (bench/hello_app.py), on gunicorn with the same worker class,
worker and thread counts, driven the same way. Between the two, on the same database and worker
shape, the append-only baseline (bench/append_app.py): a POST that only appends its event through
Kelisim's store and answers once it is durable, which is the most any consent endpoint on this
store and web stack can reach. Prints acknowledged consents/s, the ratio to hello req/s measured
in the same run (for the consent API and for the append alone), p50/p99 and the 503 count, and
checks the log against the client:
every acknowledged consent is stored, and the stored rows exceed the 2xx count by at most the
requests still in flight when the client stopped (committed, response never read: at most one per
connection).

The per-network rate limit is switched off: every request comes from loopback, so the limiter
would answer instead of the server (it is tested in tests/test_ratelimit.py).

Bounded by construction: one run of fixed duration, loopback only, the server stopped at the end.
Usage: .venv/bin/python bench/load.py [--seconds 10] [--connections 16 --connections 64]
       [--database sqlite|postgres|both] [--json]
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

from kelisim.cli.production import THREADS, default_workers
from tests.support.crash import Server, free_port, pg_cluster, production_env, wait_for_port

PROJECT_ROOT = Path(__file__).resolve().parents[1]

PATH = "/api/v1/consent"
HELLO_PATH = "/hello"
HELLO_APP = "bench.hello_app:app"
# The append-only baseline (bench/append_app.py) and the variable naming its database.
APPEND_PATH = "/append"
APPEND_APP = "bench.append_app:app"
APPEND_DATABASE_ENV = "KELISIM_BENCH_DATABASE_URL"

# One request per call of request(): a fresh event_id each time (prefix, wrk thread, counter). The
# response() hook counts statuses and keeps the consent id of every 2xx; done() writes them out.
WRK_SCRIPT = r"""
local prefix = "%(prefix)s"
local out_path = "%(out)s"
local threads = {}
local number = 0

function setup(thread)
  number = number + 1
  thread:set("tid", number)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  ok = 0
  statuses = {}
  acked = {}
end

function request()
  counter = counter + 1
  local body = '{"site":"default","revision":1,"language":"ru","action":"accept_all",' ..
    '"page":"/credit","event_id":"' .. prefix .. "-" .. tid .. "-" .. counter .. '"}'
  return wrk.format("POST", "%(path)s", {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status >= 200 and status < 300 then
    ok = ok + 1
    local id = string.match(body, '"consent_id"%%s*:%%s*"([^"]+)"')
    if id then acked[#acked + 1] = id end
  end
end

function done(summary, latency, requests)
  local out = io.open(out_path, "w")
  local counts = {}
  out:write("{\"requests\":", summary.requests, ",\"duration_us\":", summary.duration,
    ",\"socket_errors\":", summary.errors.connect + summary.errors.read +
      summary.errors.write + summary.errors.timeout,
    ",\"timeouts\":", summary.errors.timeout,
    ",\"p50_us\":", latency:percentile(50), ",\"p99_us\":", latency:percentile(99),
    ",\"max_us\":", latency.max, ",\"statuses\":{")
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  local first = true
  for status, count in pairs(counts) do
    if not first then out:write(",") end
    first = false
    out:write('"', status, '":', count)
  end
  out:write("},\"acked\":[")
  first = true
  for _, thread in ipairs(threads) do
    for _, id in ipairs(thread:get("acked")) do
      if not first then out:write(",") end
      first = false
      out:write('"', id, '"')
    end
  end
  out:write("]}\n")
  out:close()
end
"""


@dataclass
class Run:
    client: str
    seconds: float
    statuses: dict[int, int]
    p50_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    acked: list[str] = field(repr=False)

    @property
    def ok(self) -> int:
        return sum(count for status, count in self.statuses.items() if 200 <= status < 300)

    @property
    def non_2xx(self) -> int:
        return sum(count for status, count in self.statuses.items() if not 200 <= status < 300)


@functools.cache
def wrk_binary() -> str | None:
    """wrk, installed by scripts/wrk when missing; None where that fails (no apt, no network)."""
    found = shutil.which("wrk")
    if found:
        return found
    installed = subprocess.run(
        [str(PROJECT_ROOT / "scripts" / "wrk")], capture_output=True, text=True, check=False
    )
    path = installed.stdout.strip()
    if installed.returncode or not path:
        print("bench/load.py: wrk could not be installed; using the Python client", file=sys.stderr)
        return None
    return path


def run_wrk(
    port: int, seconds: float, connections: int, prefix: str, workdir: Path, path: str = PATH
) -> Run:
    out = workdir / f"{prefix}.json"
    script = workdir / f"{prefix}.lua"
    script.write_text(WRK_SCRIPT % {"prefix": prefix, "out": out, "path": path})
    subprocess.run(
        [
            wrk_binary() or "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{path}",
        ],
        check=True,
        capture_output=True,
        timeout=seconds + 60,
    )
    data = json.loads(out.read_text())
    return Run(
        client="wrk",
        seconds=data["duration_us"] / 1e6,
        statuses={int(status): count for status, count in data["statuses"].items()},
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        socket_errors=data["socket_errors"],
        acked=data["acked"],
    )


def run_python(port: int, seconds: float, connections: int, prefix: str, path: str = PATH) -> Run:
    """The fallback: one thread per keep-alive connection, closed loop, exact accounting."""
    lock = threading.Lock()
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    acked: list[str] = []
    errors = [0]
    start = time.perf_counter()
    deadline = start + seconds

    def client(number: int) -> None:
        conn: http.client.HTTPConnection | None = None
        sequence = 0
        while time.perf_counter() < deadline:
            sequence += 1
            body = json.dumps(
                {
                    "site": "default",
                    "revision": 1,
                    "language": "ru",
                    "action": "accept_all",
                    "page": "/credit",
                    "event_id": f"{prefix}-{number}-{sequence}",
                }
            ).encode()
            began = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("POST", path, body, {"Content-Type": "application/json"})
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                conn = None
                with lock:
                    errors[0] += 1
                continue
            elapsed = time.perf_counter() - began
            consent_id = None
            if 200 <= response.status < 300:
                consent_id = json.loads(payload).get("consent_id")
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
                latencies.append(elapsed)
                if consent_id:
                    acked.append(consent_id)
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 10)
    cut = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return Run(
        client="python",
        seconds=time.perf_counter() - start,
        statuses=statuses,
        p50_ms=cut[49] * 1000,
        p99_ms=cut[98] * 1000,
        max_ms=max(latencies, default=0) * 1000,
        socket_errors=errors[0],
        acked=acked,
    )


def _stored(database_url: str, column: str, prefix: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(f"SELECT {column} FROM consent_events WHERE event_id LIKE :prefix"),
                {"prefix": f"{prefix}-%"},
            )
            return {row[0] for row in rows}
    finally:
        engine.dispose()


def stored_ids(database_url: str, prefix: str) -> set[str]:
    """Consent ids of the rows whose event_id starts with `prefix`-."""
    return _stored(database_url, "consent_id", prefix)


def stored_event_ids(database_url: str, prefix: str) -> set[str]:
    """Event ids of the rows whose event_id starts with `prefix`-."""
    return _stored(database_url, "event_id", prefix)


@contextmanager
def production_server(
    workdir: Path,
    postgres: bool = False,
    workers: int | None = None,
    threads: int | None = None,
    *,
    database_url: str | None = None,
    **env: str,
) -> Iterator[tuple[Server, str]]:
    """`kelisim serve --production` on `database_url`, else on a fresh database; yields (server,
    database URL)."""
    database = nullcontext(database_url) if database_url else _database(workdir, postgres)
    with database as database_url:
        args: list[str] = []
        if workers:
            args += ["--workers", str(workers)]
        if threads:
            args += ["--threads", str(threads)]
        server_env = production_env(
            database_url,
            workdir / "var",
            KELISIM_CONSENT_RATE_PER_NETWORK="0",
            **env,
        )
        server = Server(server_env, workdir / "server.log", args=tuple(args)).start()
        try:
            yield server, database_url
        finally:
            server.stop()


@contextmanager
def _database(workdir: Path, postgres: bool) -> Iterator[str]:
    if not postgres:
        yield f"sqlite:///{workdir / 'kelisim.sqlite3'}"
        return
    with pg_cluster() as cluster:
        yield cluster.url


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of `root` and every process below it (gunicorn's master and
    workers), read from /proc: what the server itself spent, apart from the client and from
    whatever else the machine runs."""
    parents: dict[int, int] = {}
    spent: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with suppress(OSError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            parents[int(entry)] = int(fields[1])
            spent[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return sum(spent.get(pid, 0.0) for pid in tree)


def measure(
    port: int,
    database_url: str | None,
    seconds: float,
    connections: int,
    workdir: Path,
    python: bool = False,
    path: str = PATH,
    server_pid: int | None = None,
) -> dict:
    """One closed-loop run: figures plus the log check (acked ⊆ stored, surplus ≤ in flight);
    without a database (the hello baseline) the check is skipped. With `server_pid`, also the
    server's own CPU per answered request: unlike req/s, it hardly moves with the machine's load."""
    prefix = f"ld{secrets.token_hex(4)}"
    cpu_before = tree_cpu_seconds(server_pid) if server_pid else 0.0
    if python or wrk_binary() is None:
        run = run_python(port, seconds, connections, prefix, path)
    else:
        run = run_wrk(port, seconds, connections, prefix, workdir, path)
    cpu = tree_cpu_seconds(server_pid) - cpu_before if server_pid else 0.0
    stored = stored_ids(database_url, prefix) if database_url else set(run.acked)
    lost = len(set(run.acked) - stored)
    surplus = len(stored) - run.ok if database_url else 0
    return {
        "client": run.client,
        "connections": connections,
        "seconds": round(run.seconds, 2),
        "requests": sum(run.statuses.values()),
        "req_per_s": round(sum(run.statuses.values()) / run.seconds, 1),
        "2xx_per_s": round(run.ok / run.seconds, 1),
        "p50_ms": round(run.p50_ms, 1),
        "p99_ms": round(run.p99_ms, 1),
        "max_ms": round(run.max_ms, 1),
        "non_2xx": run.non_2xx,
        "shed_503": run.statuses.get(503, 0),
        "statuses": dict(sorted(run.statuses.items())),
        "socket_errors": run.socket_errors,
        "2xx": run.ok,
        "rows": len(stored),
        "acked_not_stored": lost,
        # Committed but the client stopped before reading the answer: at most one per connection.
        "stored_not_acked": surplus,
        "log_matches": lost == 0 and 0 <= surplus <= connections,
        "server_cpu_us_per_request": round(cpu * 1e6 / max(1, sum(run.statuses.values()))),
    }


@contextmanager
def baseline_server(
    workdir: Path,
    app: str,
    path: str,
    workers: int,
    threads: int,
    env: dict[str, str] | None = None,
) -> Iterator[tuple[int, int]]:
    """A baseline app (`module:app`) on gunicorn, gthread workers of the production shape; yields
    its port and the master's pid."""
    port = free_port()
    log = workdir / f"{app.split(':')[0].rsplit('.', 1)[-1]}.log"
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
        "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "--keep-alive", "5",
        "--access-logfile", str(log), "--error-logfile", str(log), app,
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, start_new_session=True, env={**os.environ, **(env or {})}
    )
    try:
        wait_for_port(port, 60, process)
        deadline = time.monotonic() + 60
        while run_python(port, 0.2, 1, "baseline-up", path).ok == 0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the baseline server {app} never answered")
        yield port, process.pid
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def run_database(
    database: str,
    seconds: float,
    connection_counts: list[int],
    python: bool,
    extra: dict,
    threads: int = THREADS,
    workers: int | None = None,
) -> list[dict]:
    """Consent POSTs, then the append-only baseline on the same database, then the hello
    baseline, all on the same worker shape, per connection count."""
    postgres = database == "postgres"
    rows = []
    with tempfile.TemporaryDirectory(prefix="kelisim-load-") as tmp:
        workdir = Path(tmp)
        with _database(workdir, postgres) as url:
            with production_server(
                workdir, postgres, workers, threads, database_url=url, **extra
            ) as (server, _):
                run_python(server.port, 1.0, 4, "warmup")  # every worker opens its connections
                for connections in connection_counts:
                    pid = server.process.pid if server.process else None
                    rows.append(
                        measure(server.port, url, seconds, connections, workdir, python, PATH, pid)
                    )
            workers = workers or default_workers(url)
            appended = baseline_server(
                workdir, APPEND_APP, APPEND_PATH, workers, threads, {APPEND_DATABASE_ENV: url}
            )
            with appended as (port, pid):
                run_python(port, 1.0, 4, "warmup", APPEND_PATH)
                for row, connections in zip(rows, connection_counts, strict=True):
                    only = measure(
                        port, url, seconds, connections, workdir, python, APPEND_PATH, pid
                    )
                    row["append_2xx_per_s"] = only["2xx_per_s"]
                    row["append_p99_ms"] = only["p99_ms"]
                    row["append_cpu_us_per_request"] = only["server_cpu_us_per_request"]
                    row["append_log_matches"] = only["log_matches"]
        with baseline_server(workdir, HELLO_APP, HELLO_PATH, workers, threads) as (port, pid):
            run_python(port, 1.0, 4, "warmup", HELLO_PATH)
            for row, connections in zip(rows, connection_counts, strict=True):
                hello = measure(port, None, seconds, connections, workdir, python, HELLO_PATH, pid)
                row["database"] = database
                row["workers"], row["threads"] = workers, threads
                row["hello_req_per_s"] = hello["req_per_s"]
                row["hello_p99_ms"] = hello["p99_ms"]
                row["hello_cpu_us_per_request"] = hello["server_cpu_us_per_request"]
                rate = max(hello["req_per_s"], 0.1)
                row["ratio"] = round(row["2xx_per_s"] / rate, 2)
                row["append_ratio"] = round(row["append_2xx_per_s"] / rate, 2)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--connections", type=int, action="append", help="repeatable; 16 and 64 by default"
    )
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--threads", type=int, default=THREADS, help="per worker, both servers")
    parser.add_argument("--workers", type=int, default=None, help="both servers; sized by default")
    parser.add_argument("--python", action="store_true", help="the Python client even with wrk")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KELISIM_NAME=VALUE",
        help="a server setting, e.g. --set KELISIM_MAX_IN_FLIGHT=2 (repeatable)",
    )
    args = parser.parse_args()
    counts = args.connections or [16, 64]
    if not 0 < args.seconds <= 600 or not all(0 < count <= 256 for count in counts):
        parser.error("--seconds must be in (0, 600] and --connections in (0, 256]")
    extra = dict(item.split("=", 1) for item in args.set if "=" in item)
    if any(not name.startswith("KELISIM_") for name in extra) or len(extra) != len(args.set):
        parser.error("--set takes KELISIM_NAME=VALUE")
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    rows = [
        row
        for database in databases
        for row in run_database(
            database, args.seconds, counts, args.python, extra, args.threads, args.workers
        )
    ]
    if args.json:
        print(json.dumps(rows))
    else:
        print(f"load average before the report: {os.getloadavg()[0]:.2f}")
        for row in rows:
            print(
                f"{row['database']:>8}, {row['connections']:>3} connections, {row['client']}, "
                f"{row['workers']}x{row['threads']} gthread: consent 2xx {row['2xx_per_s']}/s "
                f"vs hello {row['hello_req_per_s']}/s = ratio {row['ratio']}; "
                f"p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms, 503 {row['shed_503']}, "
                f"non-2xx {row['non_2xx']} {row['statuses']}; rows {row['rows']} vs 2xx "
                f"{row['2xx']} (acked not stored {row['acked_not_stored']}): "
                f"{'OK' if row['log_matches'] else 'MISMATCH'}; server CPU per request: "
                f"consent {row['server_cpu_us_per_request']} µs, "
                f"hello {row['hello_cpu_us_per_request']} µs\n"
                f"{'':>10}append only (bench/append_app.py, the ceiling on this store and "
                f"stack): {row['append_2xx_per_s']}/s = ratio {row['append_ratio']}; p99 "
                f"{row['append_p99_ms']} ms; server CPU {row['append_cpu_us_per_request']} µs "
                f"per request; {'OK' if row['append_log_matches'] else 'MISMATCH'}"
            )
    matched = all(row["log_matches"] and row["append_log_matches"] for row in rows)
    return 0 if matched else 1


if __name__ == "__main__":
    sys.exit(main())
