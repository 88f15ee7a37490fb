"""Scanner throughput and memory: page-state visits per minute and peak PSS, on the demo and on the
late-tag loopback site (tests/support/scanner_site.py, /late-bad/), each next to a plain Playwright
baseline run in the same process that only loads each page once per state with the same dwell (clock
fast-forwarded past load, then network idle), in as many parallel contexts. And next to a second
one that makes the page loads the scanner's visits need and nothing else: a choice visit loads its
page twice (to make the choice, then to see what the next page view does with it), so this one
reloads each such page once before its dwell. No scanner that judges the next page view can go
faster than that second baseline on the same machine.

Not a test (shared machines are noisy): it prints figures and the scanner/baseline ratio. Target
on a quiet 2-core machine: at least 90 page-state visits a minute, peak PSS at most 2 GB.

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

from kelisim.demo.run import start_demo  # noqa: E402
from kelisim.scanner.browser import launch_scanner  # noqa: E402
from kelisim.scanner.cli import load_catalogue, make_config, parse_args  # noqa: E402
from kelisim.scanner.config import ScanConfig  # noqa: E402
from kelisim.scanner.model import STATE_FRESH, STATE_NONE  # noqa: E402
from kelisim.scanner.run import Scanner, chromium_flags  # noqa: E402
from kelisim.settings import DEFAULT_CATALOGUE  # noqa: E402
from tests.support.scanner_site import LoopbackSite  # noqa: E402


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


def _memory_bytes(pid: int) -> tuple[int, int]:
    """RSS and PSS summed over the process tree, in one read of each process's smaps_rollup.

    RSS counts shared pages once per process (an overestimate for Chromium's many processes), PSS
    shares them out (the honest total). The kernel walks every mapping of a process to answer, so
    each process is read once per sample, not once per figure.
    """
    rss = pss = 0
    for child in _children(pid):
        try:
            with open(f"/proc/{child}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
        except OSError:
            continue
    return rss, pss


class PeakSampler(threading.Thread):
    """Samples the memory of this process and every descendant (Chromium's processes).

    Every 500 ms: memory climbs to a plateau over a scan's first contexts and stays there, so a
    faster sampler finds the same peak while its reads take CPU from the scan it measures.
    """

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.peak_pss = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            rss, pss = _memory_bytes(os.getpid())
            self.peak, self.peak_pss = max(self.peak, rss), max(self.peak_pss, pss)
            self._halt.wait(0.5)

    def stop(self) -> None:
        self._halt.set()
        self.join()


async def baseline(config, views: list[tuple[str, int]]) -> float:
    """Seconds for plain Playwright to make every (page, loads) view: the page loaded, reloaded
    until it has been loaded `loads` times (waiting for network idle after each), then the same
    dwell as the scanner's (clock fast-forwarded past load, then network idle). Nothing is
    observed, no choice is made."""
    from playwright.async_api import async_playwright

    jobs: asyncio.Queue = asyncio.Queue()
    for view in views:
        jobs.put_nowait(view)
    flags = chromium_flags(config)  # the same resolver rules and CA trust as the scan
    with tempfile.TemporaryDirectory(prefix="kelisim-bench-base-") as profile:
        async with async_playwright() as pw:
            persistent = await launch_scanner(
                pw, Path(profile), cookie_policy=config.cookie_policy, extra_args=flags
            )
            browser = persistent.browser

            async def work() -> None:
                while not jobs.empty():
                    url, loads = jobs.get_nowait()
                    context = await browser.new_context(ignore_https_errors=True)
                    await context.clock.install()
                    page = await context.new_page()
                    try:
                        await page.goto(url, wait_until="load")
                        for _ in range(loads - 1):
                            await page.wait_for_load_state("networkidle")
                            await page.reload(wait_until="load")
                        await page.clock.run_for(int(config.min_dwell_s * 1000))
                        await page.wait_for_load_state("networkidle")
                    finally:
                        await context.close()

            started = time.monotonic()
            await asyncio.gather(*(work() for _ in range(config.workers)))
            elapsed = time.monotonic() - started
            await persistent.close()
    return elapsed


def measure(label: str, argv: list[str], workers: int) -> None:
    config = make_config(parse_args(argv))
    catalogue = load_catalogue(DEFAULT_CATALOGUE)
    sampler = PeakSampler()
    sampler.start()
    started = time.monotonic()
    run = asyncio.run(Scanner(config, [v.id for v in catalogue.vendors]).scan())
    elapsed = time.monotonic() - started
    sampler.stop()
    visits = len(run.visits)
    failed = sum(1 for v in run.visits if not v.ok)
    unsettled = sum(1 for v in run.visits if not v.settled)
    rate = visits / elapsed * 60
    base_s = asyncio.run(baseline(config, [(v.page, 1) for v in run.visits]))
    base_rate = visits / base_s * 60
    # A choice visit loads its page twice: once to make the choice, once to see what the next
    # page view does with it (kelisim.scanner.run). A first visit loads it once.
    needed = [(v.page, 1 if v.state in (STATE_NONE, STATE_FRESH) else 2) for v in run.visits]
    twice_s = asyncio.run(baseline(config, needed))
    twice_rate = visits / twice_s * 60
    print(f"{label}: pages {len(run.pages)}  states {len(run.states)}  workers {workers}  "
          f"cores {os.cpu_count()}  load {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"  scanner : {visits} visits in {elapsed:.1f} s = {rate:.1f} visits/min (target >= 90)"
          f"  failed {failed}  unsettled {unsettled}")  # fmt: skip
    print(f"  baseline: {visits} loads in {base_s:.1f} s = {base_rate:.1f} visits/min"
          f"  ratio scanner/baseline {rate / base_rate:.2f}")  # fmt: skip
    print(f"  the loads the visits need: {sum(n for _, n in needed)} loads in {twice_s:.1f} s"
          f" = {twice_rate:.1f} visits/min, the most a scanner that sees the next page view"
          f" can reach here  ratio scanner/this {rate / twice_rate:.2f}")  # fmt: skip
    print(f"  peak memory (Python + servers + Chromium): RSS {sampler.peak / 2**20:.0f} MiB, "
          f"PSS {sampler.peak_pss / 2**20:.0f} MiB (target <= 2048)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=3)
    parser.add_argument("--workers", type=int, default=ScanConfig.workers)
    options = parser.parse_args()
    common = ["--workers", str(options.workers), "--quiet", "--no-screenshots",
              "--out", tempfile.mkdtemp(prefix="kelisim-bench-out-")]  # fmt: skip
    with start_demo(state_dir=Path(tempfile.mkdtemp(prefix="kelisim-bench-"))) as demo:
        resolve = [a for h, t in demo.host_map.items() for a in ("--resolve", f"MAP {h} {t}")]
        argv = [demo.site_url + "/ru/", "--pages", str(options.pages), "--depth", "1",
                "--ca-cert", str(demo.ca_cert_path), *resolve, *common]  # fmt: skip
        measure("demo", argv, options.workers)
    site = LoopbackSite()
    try:
        measure("late-tag site", [site.url + "/late-bad/", "--pages", "1", "--no-sitemap",
                                  *site.resolve_args, *common], options.workers)  # fmt: skip
    finally:
        site.stop()


if __name__ == "__main__":
    main()
