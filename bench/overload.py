"""Capacity and overload of consent POSTs on the production server.

1. Starts `kelisim serve --production` (gunicorn, SQLite WAL+FULL; `--postgres` for a throwaway
   PostgreSQL cluster) on 127.0.0.1 with a fresh database and the per-network limit off (every
   request comes from loopback here, so the limiter would answer instead of the server; it is
   tested in tests/test_ratelimit.py).
2. Capacity, measured as bench/load.py measures it: `--connections` keep-alive connections in a
   closed loop (wrk, or the Python client) for `--capacity-seconds`; capacity = 2xx per second;
   figures: req/s, p50/p99, non-2xx. `--capacity N` skips this and takes N.
3. Overload: an open-loop client (a new connection per request, like visitors' browsers) at twice
   that rate for `--seconds`: the share of 429/503 answers and their latency p50/p99 (target:
   p99 < 100 ms), requests that hung (client timeout 5 s), and the proof that nothing acknowledged
   was lost: every event acknowledged with a 2xx is in the log, and every row in the log was
   acknowledged (or its request hung or failed at the client).

The server is shared by both phases, as it would be in production; the machine's other load moves
the absolute figures, so compare ratios and repeat (`--repeat`).
Bounded by construction: fixed rates and durations, loopback only, the server stopped at the end.
Usage: .venv/bin/python bench/overload.py [--seconds 5] [--capacity N] [--postgres] [--repeat 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import measure as measure_capacity
from bench.load import production_server, run_python, stored_event_ids
from kelisim.scanner.cli import run_coroutine

TIMEOUT = 5.0
PATH = "/api/v1/consent"
# The production access line of a shed consent POST: handling time, then time queued for a thread.
SHED_LINE = re.compile(r'"POST /api/v1/consent" (?:429|503) ([0-9.]+)ms queued ([0-9.]+)ms')


async def _one(port: int, body: bytes) -> tuple[int, float]:
    started = time.perf_counter()
    status = 0
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT)
        writer.write(
            f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
            + b"Content-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), TIMEOUT - (time.perf_counter() - started))
        status = int(line.split()[1]) if line else -1
    except TimeoutError:
        status = -2  # hung past the client timeout
    except (OSError, ValueError, IndexError):
        status = -1
    finally:
        if writer is not None:
            writer.close()
    return status, time.perf_counter() - started


async def _open_loop(port: int, rate: float, seconds: float, prefix: str) -> list:
    """(event_id, status, seconds) of `rate * seconds` requests sent on schedule."""
    tasks = []
    start = time.perf_counter()
    for index in range(int(rate * seconds)):
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        event_id = f"{prefix}-{index}"
        body = json.dumps(
            {
                "site": "default",
                "revision": 1,
                "language": "ru",
                "action": "accept_all",
                "page": "/credit",
                "event_id": event_id,
            }
        ).encode()
        tasks.append((event_id, asyncio.create_task(_one(port, body))))
    return [(event_id, *await task) for event_id, task in tasks]


def open_loop(port: int, rate: float, seconds: float, prefix: str) -> list:
    # Also from a thread that already runs an event loop (a test session holding Playwright).
    return run_coroutine(_open_loop(port, rate, seconds, prefix))


def _ms(values: list[float], q: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return round(values[0] * 1000, 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000, 1)


def cpu_pressure() -> float | None:
    """Linux PSI: % of the last 10 s in which some task (any job) waited for a CPU."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    fields = dict(part.split("=", 1) for part in line.split()[1:])
    return float(fields.get("avg10", "nan"))


def overload_summary(results: list, seconds: float, stored: set[str]) -> dict:
    acked = {event_id for event_id, status, _ in results if 200 <= status < 300}
    unanswered = {event_id for event_id, status, _ in results if status < 0}
    ok = [latency for _, status, latency in results if 200 <= status < 300]
    shed = [latency for _, status, latency in results if status in (429, 503)]
    other: dict[int, int] = {}
    for _, status, _ in results:
        if not (200 <= status < 300 or status in (429, 503)):
            other[status] = other.get(status, 0) + 1
    return {
        "sent": len(results),
        "2xx": len(ok),
        "2xx_per_s": round(len(ok) / seconds, 1),
        "2xx_p50_ms": _ms(ok, 50),
        "2xx_p99_ms": _ms(ok, 99),
        "shed_429_503": len(shed),
        "shed_share": round(len(shed) / max(1, len(results)), 3),
        "shed_p50_ms": _ms(shed, 50),
        "shed_p99_ms": _ms(shed, 99),
        "shed_max_ms": round(max(shed, default=0) * 1000, 1),
        "hung_over_5s": sum(1 for _, status, _ in results if status == -2),
        "other_statuses": other,  # -1: connection failed or closed without an answer
        "acked": len(acked),
        "stored": len(stored),
        "acked_not_stored": len(acked - stored),
        # Committed, but the client gave up first: only possible for unanswered requests.
        "stored_not_acked": len(stored - acked),
        "log_matches": not (acked - stored) and stored - acked <= unanswered,
    }


def measure(
    port: int,
    database_url: str,
    workdir: Path,
    *,
    seconds: float,
    capacity: float | None,
    capacity_seconds: float = 5.0,
    connections: int = 16,
    python: bool = False,
    server_log: Path | None = None,
) -> dict:
    figures: dict = {}
    if capacity is None:
        load = measure_capacity(port, database_url, capacity_seconds, connections, workdir, python)
        figures["capacity_run"] = load
        capacity = load["2xx_per_s"]
    figures["capacity_req_per_s"] = capacity
    rate = 2 * capacity
    prefix = f"ov{secrets.token_hex(4)}"
    offset = server_log.stat().st_size if server_log else 0
    results = open_loop(port, rate, seconds, prefix)
    stored = stored_event_ids(database_url, prefix)
    figures["overload_rate_req_per_s"] = rate
    figures["at_2x_capacity"] = over = overload_summary(results, seconds, stored)
    over["cpu_pressure_avg10_pct"] = cpu_pressure()
    if server_log:
        # The server's own view (from queued to answered), without the client's or kernel's delays.
        time.sleep(0.2)
        with open(server_log, "rb") as handle:
            handle.seek(offset)
            lines = handle.read().decode(errors="replace")
        server_side = [
            (float(handled) + float(queued)) / 1000 for handled, queued in SHED_LINE.findall(lines)
        ]
        over["server_shed_p50_ms"] = _ms(server_side, 50)
        over["server_shed_p99_ms"] = _ms(server_side, 99)
    return figures


def report_line(figures: dict) -> str:
    over = figures["at_2x_capacity"]
    line = f"capacity {figures['capacity_req_per_s']} 2xx/s"
    run = figures.get("capacity_run")
    if run:
        line += (
            f" ({run['client']}, {run['connections']} conns: {run['req_per_s']} req/s, "
            f"p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms, non-2xx {run['non_2xx']}, "
            f"log {'OK' if run['log_matches'] else 'MISMATCH'})"
        )
    line += (
        f"; at 2x = {figures['overload_rate_req_per_s']}/s open loop: "
        f"2xx {over['2xx_per_s']}/s (p50 {over['2xx_p50_ms']} ms, p99 {over['2xx_p99_ms']} ms), "
        f"429/503 {over['shed_share']:.1%} with p50 {over['shed_p50_ms']} ms, "
        f"p99 {over['shed_p99_ms']} ms, max {over['shed_max_ms']} ms "
        f"(server side p50 {over.get('server_shed_p50_ms')} ms, "
        f"p99 {over.get('server_shed_p99_ms')} ms); "
        f"hung {over['hung_over_5s']}, other {over['other_statuses'] or 0}; "
        f"CPU pressure {over['cpu_pressure_avg10_pct']} %; "
        f"acked {over['acked']} vs stored {over['stored']} "
        f"({'OK' if over['log_matches'] else 'MISMATCH'})"
    )
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="overload phase")
    parser.add_argument("--capacity", type=float, default=None, help="skip the capacity run")
    parser.add_argument("--capacity-seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--python", action="store_true", help="Python capacity client, not wrk")
    parser.add_argument("--repeat", type=int, default=1, help="runs on the same server (max 10)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KELISIM_NAME=VALUE",
        help="a server setting, e.g. --set KELISIM_ADMISSION_WAIT_MS=50 (repeatable)",
    )
    args = parser.parse_args()
    if not 0 < args.seconds <= 60 or not 0 < args.capacity_seconds <= 60:
        parser.error("--seconds and --capacity-seconds must be in (0, 60]")
    if not 1 <= args.repeat <= 10:
        parser.error("--repeat must be 1..10")
    extra = dict(item.split("=", 1) for item in args.set if "=" in item)
    if any(not name.startswith("KELISIM_") for name in extra) or len(extra) != len(args.set):
        parser.error("--set takes KELISIM_NAME=VALUE")
    runs = []
    with tempfile.TemporaryDirectory(prefix="kelisim-overload-") as tmp:
        workdir = Path(tmp)
        with production_server(workdir, args.postgres, **extra) as (server, url):
            run_python(server.port, 1.0, 4, "warmup")  # every worker opens its connections
            for _ in range(args.repeat):
                figures = measure(
                    server.port,
                    url,
                    workdir,
                    seconds=args.seconds,
                    capacity=args.capacity,
                    capacity_seconds=args.capacity_seconds,
                    connections=args.connections,
                    python=args.python,
                    server_log=server.log,
                )
                runs.append(figures)
                if not args.json:
                    print(report_line(figures), flush=True)
    if args.json:
        print(json.dumps(runs, indent=2))
    ok = all(
        run["at_2x_capacity"]["log_matches"]
        and run.get("capacity_run", {}).get("log_matches", True)
        for run in runs
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
