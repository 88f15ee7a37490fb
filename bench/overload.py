"""Capacity and overload of consent POSTs on the production server (compliance.md R5, R7).

1. Starts `kelisim serve --production` (gunicorn, SQLite WAL+FULL) on 127.0.0.1 with a fresh
   database and the per-network limit off (every request comes from loopback here, so the limiter
   would answer instead of the server; it is tested in tests/test_ratelimit.py).
2. Capacity: an open-loop client at a rising rate (or `--capacity N`) finds the highest rate
   answered with >= 99 % 2xx; figures: req/s, p50/p99.
3. Overload: the same client at twice that rate for `--seconds`: the share of 429/503 answers and
   their latency (target < 100 ms), requests that hung (client timeout 5 s), and the proof that
   nothing acknowledged was lost (rows in the log == 2xx count).

Bounded by construction: fixed rates and durations, loopback only.
Usage: .venv/bin/python bench/overload.py [--seconds 5] [--capacity N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.crash_support import Server, production_env

TIMEOUT = 5.0
ACKED = [0]  # every 2xx of every phase, to compare with the rows in the log


async def _one(port: int, results: list, body: bytes) -> None:
    started = time.perf_counter()
    status = 0
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT)
        writer.write(
            b"POST /api/v1/consent HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), TIMEOUT - (time.perf_counter() - started))
        status = int(line.split()[1]) if line else -1
        writer.close()
    except TimeoutError:
        status = -2  # hung past the client timeout
    except OSError:
        status = -1
    results.append((status, time.perf_counter() - started))
    if 200 <= status < 300:
        ACKED[0] += 1


async def _open_loop(port: int, rate: float, seconds: float) -> list:
    results: list = []
    tasks = []
    start = time.perf_counter()
    count = int(rate * seconds)
    for index in range(count):
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        body = json.dumps(
            {
                "site": "default",
                "revision": 1,
                "language": "ru",
                "action": "accept_all",
                "event_id": f"ov-{secrets.token_hex(8)}",
            }
        ).encode()
        tasks.append(asyncio.create_task(_one(port, results, body)))
    await asyncio.gather(*tasks)
    return results


def run(port: int, rate: float, seconds: float) -> list:
    return asyncio.run(_open_loop(port, rate, seconds))


def summary(results: list, seconds: float) -> dict:
    ok = [latency for status, latency in results if 200 <= status < 300]
    shed = [latency for status, latency in results if status in (429, 503)]
    other = [status for status, _ in results if not (200 <= status < 300 or status in (429, 503))]

    def pct(values: list, q: float) -> float:
        return round(statistics.quantiles(values, n=100)[q - 1] * 1000, 1) if len(values) > 1 else 0

    return {
        "sent": len(results),
        "2xx": len(ok),
        "2xx_per_s": round(len(ok) / seconds, 1),
        "2xx_p50_ms": pct(ok, 50),
        "2xx_p99_ms": pct(ok, 99),
        "shed_429_503": len(shed),
        "shed_share": round(len(shed) / max(1, len(results)), 3),
        "shed_p50_ms": pct(shed, 50),
        "shed_p99_ms": pct(shed, 99),
        "shed_max_ms": round(max(shed) * 1000, 1) if shed else 0,
        "hung_over_5s": sum(1 for status, _ in results if status == -2),
        "other": len(other),
    }


def measure(seconds: float, capacity: float | None, workdir: Path) -> dict:
    database = workdir / "kelisim.sqlite3"
    env = production_env(
        f"sqlite:///{database}", workdir / "var", KELISIM_CONSENT_RATE_PER_NETWORK="0"
    )
    server = Server(env, workdir / "server.log").start()
    figures: dict = {}
    try:
        run(server.port, 50, 2.0)  # warm-up: every worker thread opens its connections
        if capacity is None:
            capacity = 0.0
            for rate in (50, 100, 150, 200, 300, 400, 500, 650, 800):
                s = summary(run(server.port, rate, 2.0), 2.0)
                print(f"  probe {rate}/s: {s}", flush=True)
                if s["2xx"] < 0.99 * s["sent"] or s["2xx_p99_ms"] > 100:
                    break
                capacity = rate
        figures["capacity_req_per_s"] = capacity
        base = summary(run(server.port, capacity, seconds), seconds)
        figures["at_capacity"] = base
        over = run(server.port, 2 * capacity, seconds)
        figures["at_2x_capacity"] = summary(over, seconds)
        acked_total = base["2xx"] + figures["at_2x_capacity"]["2xx"]
    finally:
        server.stop()
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT count(*) FROM consent_events WHERE event_id LIKE 'ov-%'")
        figures["rows_in_log_all_runs"] = rows.fetchone()[0]
    figures["acked_2xx_in_measured_runs"] = acked_total
    figures["acked_2xx_all_runs"] = ACKED[0]
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--capacity", type=float, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kelisim-overload-") as tmp:
        figures = measure(args.seconds, args.capacity, Path(tmp))
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
