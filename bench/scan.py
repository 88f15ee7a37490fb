"""Scanner throughput and memory on the demo site: page-state visits per minute and peak RSS.

Not a test (shared machines are noisy): it prints figures. Target on 2 cores: at least 40
page-state visits a minute with the peak RSS of Chromium + Python at most 2 GB.

    .venv/bin/python bench/scan.py [--pages 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo.run import start_demo  # noqa: E402
from scanner.cli import build_parser, load_catalogue, make_config  # noqa: E402
from scanner.run import Scanner  # noqa: E402


def _children(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
            except OSError:
                continue
    return found


def _memory_bytes(pid: int, field: str) -> int:
    """Sum of `field` over the process tree: "Rss:" counts shared pages once per process (an
    overestimate for Chromium's many processes), "Pss:" shares them out (the honest total)."""
    total = 0
    for child in _children(pid):
        try:
            with open(f"/proc/{child}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith(field):
                        total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


class PeakSampler(threading.Thread):
    """Samples the RSS of this process and every descendant (Chromium's processes) every 200 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.peak_pss = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak = max(self.peak, _memory_bytes(os.getpid(), "Rss:"))
            self.peak_pss = max(self.peak_pss, _memory_bytes(os.getpid(), "Pss:"))
            self._halt.wait(0.2)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()
    with start_demo(state_dir=Path(tempfile.mkdtemp(prefix="kelisim-bench-"))) as demo:
        resolve = [a for h, t in demo.host_map.items() for a in ("--resolve", f"MAP {h} {t}")]
        args = build_parser().parse_args(
            [demo.site_url + "/ru/", "--pages", str(options.pages), "--depth", "1",
             "--workers", str(options.workers), "--ca-cert", str(demo.ca_cert_path), *resolve]
        )  # fmt: skip
        config = make_config(args)
        catalogue = load_catalogue(ROOT / "vendors.yaml")
        sampler = PeakSampler()
        sampler.start()
        started = time.monotonic()
        run = asyncio.run(Scanner(config, [v.id for v in catalogue.vendors]).scan())
        elapsed = time.monotonic() - started
        sampler.stop()
    visits = len(run.visits)
    failed = sum(1 for v in run.visits if not v.ok)
    unsettled = sum(1 for v in run.visits if not v.settled)
    print(
        f"pages: {len(run.pages)}  states: {len(run.states)}  workers: {options.workers}  "
        f"cores: {os.cpu_count()}"
    )
    rate = visits / elapsed * 60
    print(
        f"page-state visits: {visits} in {elapsed:.1f} s = {rate:.1f} visits/min (target >= 40)  "
        f"failed: {failed}  unsettled: {unsettled}"
    )
    rss, pss = sampler.peak / 2**20, sampler.peak_pss / 2**20
    print(
        "peak memory (Python incl. the demo servers + Chromium): "
        f"RSS {rss:.0f} MiB, PSS {pss:.0f} MiB (target <= 2048)"
    )


if __name__ == "__main__":
    main()
