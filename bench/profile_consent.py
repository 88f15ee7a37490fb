"""Where the CPU of one consent POST goes, without load: the request path under cProfile.

bench/load.py says how many consents a saturated server acknowledges against a Flask hello POST;
this says which functions the difference is spent in. It builds the app as the tests do (a fresh
SQLite file, the packaged catalogue, production mode, the per-network rate limit off as in
bench/load.py), then sends `-n` consent POSTs with the body bench/load.py sends (its own event_id
each) through Flask's test client, one at a time, under cProfile with a CPU clock: the fsync each
lone batch waits for costs no CPU and does not show. Then the same number of POSTs to
bench/hello_app.py through its own test client, in the same process. Prints the top functions by
cumulative and by own time, and CPU µs per POST for both with their ratio (the inverse of the
ratio bench/load.py reports, for the application's share of the work; the web server's own share
is the same for both and not measured here).

Bounded by construction: one process, one thread of requests, a temporary directory removed at
the end. Usage: .venv/bin/python bench/profile_consent.py [-n 2000] [--top 30] [--no-profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.hello_app import app as hello_app
from kelisim.web.app import create_app
from tests.support.throwaway import throwaway_settings

CONSENT_PATH = "/api/v1/consent"
HELLO_PATH = "/hello"
HEADERS = {"Content-Type": "application/json"}


def consent_bodies(count: int) -> list[bytes]:
    """The body bench/load.py's client sends, each with its own event_id, built beforehand."""
    prefix = f"pf{secrets.token_hex(4)}"
    return [
        json.dumps(
            {
                "site": "default",
                "revision": 1,
                "language": "ru",
                "action": "accept_all",
                "page": "/credit",
                "event_id": f"{prefix}-1-{number}",
            }
        ).encode()
        for number in range(count)
    ]


def timed(
    post: Callable[[bytes], int], bodies: list[bytes], profile: cProfile.Profile | None
) -> float:
    """CPU seconds for all bodies; every answer must be the status a stored consent gets."""
    began = time.process_time()
    if profile is not None:
        profile.enable()
    try:
        statuses = [post(body) for body in bodies]
    finally:
        if profile is not None:
            profile.disable()
    elapsed = time.process_time() - began
    wrong = [status for status in statuses if status not in (200, 201)]
    if wrong:
        raise SystemExit(f"{len(wrong)} of {len(bodies)} POSTs failed, first with {wrong[0]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="POSTs of each kind")
    parser.add_argument("--top", type=int, default=30, help="functions listed per ordering")
    parser.add_argument("--no-profile", action="store_true", help="µs per POST only, no cProfile")
    args = parser.parse_args()
    if not 0 < args.n <= 100_000:
        parser.error("-n must be in (0, 100000]")

    with tempfile.TemporaryDirectory(prefix="kelisim-profile-") as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'kelisim.sqlite3'}"
        settings = throwaway_settings(database_url, production=True, consent_rate_per_network=0)
        app = create_app(settings)
        try:
            client = app.test_client()
            hello = hello_app.test_client()

            def consent(body: bytes) -> int:
                return client.post(CONSENT_PATH, data=body, headers=HEADERS).status_code

            def hello_post(body: bytes) -> int:
                status = hello.post(HELLO_PATH, data=body, headers=HEADERS).status_code
                return 200 if status == 201 else status

            # Warm both paths (first-request setup, caches, the tree's edge) before measuring.
            timed(consent, consent_bodies(50), None)
            timed(hello_post, consent_bodies(50), None)

            profile = None if args.no_profile else cProfile.Profile(time.process_time)
            consent_cpu = timed(consent, consent_bodies(args.n), profile)
            hello_cpu = timed(hello_post, consent_bodies(args.n), None)
        finally:
            services = app.extensions["kelisim"]
            services.close()

    if profile is not None:
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
    consent_us = consent_cpu / args.n * 1e6
    hello_us = hello_cpu / args.n * 1e6
    profiled = " (consent under cProfile)" if profile else ""
    print(
        f"{args.n} POSTs each, test client, CPU time{profiled}: "
        f"consent {consent_us:.0f} µs/POST, hello {hello_us:.0f} µs/POST, "
        f"consent/hello {consent_us / hello_us:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
