"""The scan itself: one Chromium, a pool of workers, each visit a fresh context.

Every page is visited once per consent state in its own browser context, so no state leaks into
another; the "none" visit of a page comes first because it finds the links the crawl follows.
Workers are asyncio tasks sharing one browser (contexts are cheap, browsers are not).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kelisim.scanner import autoconsent as autoconsent_driver
from kelisim.scanner import banner as banner_probe
from kelisim.scanner import cluster as clustering
from kelisim.scanner import dwell
from kelisim.scanner import states as consent
from kelisim.scanner.attribute import Attributor
from kelisim.scanner.browser import SCANNER_ARGS, launch_args, launch_scanner
from kelisim.scanner.config import ScanConfig
from kelisim.scanner.crawl import Frontier, sitemap_location, sitemap_urls
from kelisim.scanner.model import (
    PHASE_FINAL,
    PHASE_GRANTED,
    PHASE_POST,
    PHASE_PRE,
    PHASE_WITHDRAWING,
    STATE_ACCEPT,
    STATE_FRESH,
    STATE_NONE,
    STATE_WITHDRAW,
    ConsentDriving,
    Visit,
)
from kelisim.scanner.observe import Recorder
from kelisim.scanner.tls import ca_args

LINKS_JS = "() => Array.from(document.querySelectorAll('a[href]'), a => a.href)"
SERVICE_WORKER_EVENTS = "PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"
NETWORK_ERRORS = ("net::ERR_", "NS_ERROR", "Timeout", "timeout")
KELISIM_WAIT_S = 10.0  # how long a choice visit waits for window.kelisim to appear
KELISIM_RECHECK_S = 2.0  # the same, when the page's first visit never saw it


async def _close_context(context: Any) -> None:
    with contextlib.suppress(Exception):  # a crashed context is already gone
        await context.close()


class NavigationFailed(RuntimeError):
    """The page could not be loaded at all (refused, unresolvable, timed out)."""


@dataclass
class ScanRun:
    """Everything the browser part of a scan produced, before attribution and rules."""

    started_at: str
    finished_at: str = ""
    duration_s: float = 0.0
    visits: list[Visit] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    unreachable: dict[str, str] = field(default_factory=dict)
    states: list[str] = field(default_factory=list)
    policy: dict[str, Any] | None = None
    environment: dict[str, Any] = field(default_factory=dict)
    # Template clustering (kelisim.scanner.cluster): whether it ran, the clusters whose pages
    # skipped states, and every judged page's fingerprint (None: a base visit failed).
    clustering: bool = False
    clusters: list[clustering.Cluster] = field(default_factory=list)
    fingerprints: dict[str, str | None] = field(default_factory=dict)


def shard_of(page_url: str, count: int) -> int:
    """The shard (1..count) that judges a page, by a hash of its path and query.

    Every shard crawls the same pages (a page's first visit finds the links the crawl follows)
    and judges only its own; the host is left out so the split is the same whichever address
    the CI runners reach the site by.
    """
    parts = urlsplit(page_url)
    key = parts.path + ("?" + parts.query if parts.query else "")
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % count + 1


def chromium_flags(config: ScanConfig) -> list[str]:
    extra = list(config.extra_chromium_args)
    if config.resolve:
        extra.append("--host-resolver-rules=" + ", ".join(config.resolve))
    extra += ca_args(config.ca_certs)
    return extra


@dataclass
class Tab:
    """A browser context ready for a visit (see Scanner.open_tab)."""

    context: Any
    page: Any
    cdp: Any
    recorder: Recorder
    clock: bool


class Tabs:
    """One worker's next context, opened while its current visit dwells.

    Opening a context, its probes and its page is a third of a second of Chromium's time that
    observes nothing; done ahead, it overlaps the current page's quiet windows instead of
    delaying the next visit.
    """

    def __init__(self, scanner: Scanner, browser: Any) -> None:
        self._scanner = scanner
        self._browser = browser
        self._next: asyncio.Task[Tab] | None = None

    def prepare(self) -> None:
        if self._next is None:
            self._next = asyncio.create_task(self._scanner.open_tab(self._browser))

    async def take(self) -> Tab:
        task, self._next = self._next, None
        if task is not None:
            with contextlib.suppress(Exception):  # opening failed: open another below
                return await task
        return await self._scanner.open_tab(self._browser)

    def discard(self) -> None:
        """Close the context prepared for a visit that will not come (the scan is ending)."""
        task, self._next = self._next, None
        if task is not None:
            task.cancel()  # no-op once it has opened; its callback then runs at once
            task.add_done_callback(self._close_opened)

    def _close_opened(self, task: asyncio.Task[Tab]) -> None:
        """Close the context of a tab that had opened (one cancelled while opening closed its own,
        in Scanner.open_tab)."""
        if not task.cancelled() and task.exception() is None:
            self._scanner.close_later(task.result().context)


class Scanner:
    def __init__(
        self,
        config: ScanConfig,
        vendor_ids: list[str],
        progress: Callable[[Visit, int, int], None] | None = None,
        catalogue: Any | None = None,
    ) -> None:
        self.config = config
        self.vendor_ids = vendor_ids
        self.catalogue = catalogue  # attributes the fingerprints of --cluster
        self.progress = progress or (lambda visit, done, total: None)
        self.states = consent.all_states(
            config.vendors if config.vendors is not None else vendor_ids, config.states
        )
        self.run = ScanRun(started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        self.run.clustering = config.cluster and clustering.clustering_applies(self.states)
        if self.run.clustering and catalogue is None:
            raise ValueError("--cluster needs the catalogue to attribute fingerprints")
        # With clustering, every page first gets the base states; the others wait for the plan.
        self.first_states = (
            [s for s in self.states if s in clustering.BASE_STATES]
            if self.run.clustering
            else list(self.states)
        )
        self._done = 0
        self._closing: set[asyncio.Task[None]] = set()
        self._clock = config.fast_clock
        # Pages whose first visit dwelt its full time without a window.kelisim: their choice
        # visits look for it only briefly before driving the page's other consent manager.
        self._without_kelisim: set[str] = set()
        self.autoconsent: autoconsent_driver.Bundle | None = None
        self.autoconsent_missing: str | None = "switched off (--no-autoconsent)"
        if config.autoconsent:
            root, self.autoconsent_missing = autoconsent_driver.locate(config.autoconsent_dir)
            self.autoconsent = autoconsent_driver.load(root) if root else None

    # -- visits -----------------------------------------------------------------------------
    async def _new_context(self, browser: Any) -> Any:
        return await browser.new_context(
            ignore_https_errors=self.config.ignore_https_errors,
            viewport={"width": 1280, "height": 800},
            locale="ru-RU",
        )

    async def open_tab(self, browser: Any) -> Tab:
        """A fresh context with the probes, the clock, a blank page and its CDP session: all a
        visit needs before its first navigation, which records nothing until then."""
        context = await self._new_context(browser)
        recorder = Recorder("", "")
        try:
            await recorder.attach_context(context)
            clock = self.config.fast_clock and await dwell.install_clock(context)
            page = await context.new_page()
            page.set_default_timeout(self.config.timeout_s * 1000)
            cdp = await recorder.attach_page(context, page)
        except BaseException:
            self.close_later(context)
            raise
        return Tab(context, page, cdp, recorder, clock)

    async def visit(
        self, browser: Any, page_url: str, state: str, measure: bool, tabs: Tabs | None = None
    ) -> Visit:
        cfg = self.config
        visit = Visit(page=page_url, state=state)
        started = time.monotonic()
        # Contexts still closing hold Chromium's memory: no more than one per worker at a time.
        await self._contexts_closed(at_most=max(1, cfg.workers))
        try:
            tab = await (tabs.take() if tabs is not None else self.open_tab(browser))
        except Exception as exc:  # no context to visit in: this visit fails, the scan goes on
            visit.ok, visit.error = False, f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
            visit.duration_ms = int((time.monotonic() - started) * 1000)
            return visit
        context, page, cdp, recorder = tab.context, tab.page, tab.cdp, tab.recorder
        recorder.begin(page_url, state)
        self._clock = tab.clock
        try:
            try:
                await page.goto(page_url, wait_until="load", timeout=cfg.timeout_s * 1000)
            except Exception as exc:
                raise NavigationFailed(str(exc).splitlines()[0]) from exc
            if tabs is not None:  # the next visit's context opens while this page dwells
                tabs.prepare()
            if state in (STATE_NONE, STATE_FRESH):
                visit.settled = await self._dwell(page, recorder)
                await recorder.snapshot(page, cdp, PHASE_FINAL)
                visit.consent_signal = await consent.consent_signal(page)
                if state == STATE_NONE:
                    try:
                        visit.links = await page.evaluate(LINKS_JS)
                    except Exception:  # a page without links is still scanned
                        visit.links = []
                    if measure:
                        visit.banner = await banner_probe.measure(
                            page,
                            page_url,
                            cfg.selectors,
                            cfg.screenshots,
                            settle=lambda quiet_ms: recorder.settle(
                                page, cfg.settle_max_s / 2, quiet_ms, clock=self._clock
                            ),
                        )
            else:
                await self._choice_visit(page, cdp, recorder, visit)
            if cfg.leave_page:
                await dwell.leave(page, recorder)
        except NavigationFailed as exc:
            visit.ok, visit.error = False, str(exc)
        except consent.StateError as exc:
            visit.ok, visit.error = False, f"state not applicable: {exc}"
            # Whatever was driven on the way (the accept before a withdrawal), the state itself
            # was not set: the report lists it as not driven, with the reason.
            tried = exc.consent or visit.consent or ConsentDriving(method=None)
            note = tried.note if exc.consent is not None else str(exc)
            visit.consent = dataclasses.replace(tried, method=None, note=note)
        except Exception as exc:  # one broken visit must not end the scan
            visit.ok, visit.error = False, f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        finally:
            visit.observations = recorder.finish()
            visit.canvas_reads = list(recorder.canvas_reads)
            visit.stuck = recorder.stuck
            visit.duration_ms = int((time.monotonic() - started) * 1000)
            self.close_later(context)
        return visit

    def close_later(self, context: Any) -> None:
        """Close a finished visit's context while the worker starts its next visit: closing
        takes Chromium a while and observes nothing (the recorder has already finished)."""
        task = asyncio.create_task(_close_context(context))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _contexts_closed(self, at_most: int = 0) -> None:
        """Wait until no more than `at_most` finished contexts are still closing."""
        while len(self._closing) > at_most:
            await asyncio.wait(set(self._closing), return_when=asyncio.FIRST_COMPLETED)

    async def _choice_visit(self, page: Any, cdp: Any, recorder: Recorder, visit: Visit) -> None:
        cfg = self.config
        wait = KELISIM_RECHECK_S if visit.page in self._without_kelisim else KELISIM_WAIT_S
        use_kelisim = await consent.has_kelisim(page, min(cfg.timeout_s, wait))
        if not use_kelisim and not cfg.selectors.configured and self.autoconsent is None:
            raise consent.StateError(
                "no window.kelisim on the page, no consent selectors, and autoconsent "
                f"{self.autoconsent_missing}",
                ConsentDriving(method=None, note=f"autoconsent {self.autoconsent_missing}"),
            )
        if not use_kelisim and cfg.selectors.accept and self.autoconsent is None:
            await page.locator(cfg.selectors.accept).first.wait_for(state="visible")
        await recorder.settle(page, cfg.settle_max_s / 2, cfg.quiet_ms // 2, clock=self._clock)
        await recorder.snapshot(page, cdp, PHASE_PRE)
        common = {
            "use_kelisim": use_kelisim,
            "selectors": cfg.selectors,
            "timeout_s": cfg.timeout_s,
        }
        choose = {
            **common,
            "autoconsent": self.autoconsent,
            "autoconsent_missing": f"autoconsent {self.autoconsent_missing}"
            if self.autoconsent is None
            else None,
        }
        if visit.state == STATE_WITHDRAW:
            recorder.mark(PHASE_GRANTED)
            visit.consent = await consent.make_choice(page, STATE_ACCEPT, self.vendor_ids, **choose)
            await self._dwell(page, recorder)
            # From withdraw() on, every request counts: beacons the withdrawn document sends on
            # pagehide while the CMP reloads it are how an uninformed vendor leaks (V10).
            # The withdrawn document's phase ends when the reloaded one commits, not at its load
            # event: the new document's first requests (a pixel on restored scroll) are "post",
            # whatever the timing, so two scans label them alike.
            committed, reloaded = asyncio.Event(), asyncio.Event()

            def on_commit(frame: Any) -> None:
                if frame == page.main_frame and not committed.is_set():
                    recorder.leaving = False
                    recorder.mark(PHASE_POST)
                    committed.set()

            page.on("framenavigated", on_commit)
            page.on("load", lambda _page: reloaded.set())
            recorder.mark(PHASE_WITHDRAWING)
            recorder.leaving = True
            await consent.withdraw(page, **common)
            with contextlib.suppress(TimeoutError):  # a CMP that does not reload: observe as is
                await asyncio.wait_for(reloaded.wait(), timeout=min(cfg.timeout_s, 5.0))
            page.remove_listener("framenavigated", on_commit)
            recorder.leaving = False
            recorder.mark(PHASE_POST)
            visit.settled = await self._dwell(page, recorder)
        else:
            recorder.mark(PHASE_POST)
            visit.consent = await consent.make_choice(page, visit.state, self.vendor_ids, **choose)
            await recorder.settle(page, cfg.settle_max_s, cfg.quiet_ms, clock=self._clock)
            await page.reload(wait_until="load")
            visit.settled = await self._dwell(page, recorder)
        visit.consent_signal = await consent.consent_signal(page)
        await recorder.snapshot(page, cdp, PHASE_FINAL)

    async def _dwell(self, page: Any, recorder: Recorder) -> bool:
        cfg = self.config
        return await dwell.dwell(
            page,
            recorder,
            settle_max_s=cfg.settle_max_s,
            quiet_ms=cfg.quiet_ms,
            min_dwell_s=cfg.min_dwell_s,
            clock=self._clock,
            interactions=cfg.interact,
        )

    async def visit_with_retries(
        self, browser: Any, page_url: str, state: str, measure: bool, tabs: Tabs | None = None
    ) -> Visit:
        visit = Visit(page=page_url, state=state, ok=False)
        for attempt in range(1, self.config.retries + 2):
            visit = await self.visit(browser, page_url, state, measure, tabs)
            visit.attempts = attempt
            if visit.ok or (visit.error or "").startswith("state not applicable"):
                break
        return visit

    def owns(self, page_url: str) -> bool:
        """Whether this scan judges the page: always, unless it is one shard of several."""
        return (
            self.config.shard is None
            or shard_of(page_url, self.config.shard[1]) == (self.config.shard[0])
        )

    # -- the crawl --------------------------------------------------------------------------
    async def _sitemap(self, browser: Any, frontier: Frontier) -> None:
        origins = dict.fromkeys(sitemap_location(u) for u in self.config.urls)
        context = await self._new_context(browser)
        try:
            page = await context.new_page()
            for location in origins:
                try:
                    response = await page.goto(location, timeout=self.config.timeout_s * 1000)
                    if response is None or response.status != 200:
                        continue
                    for url in sitemap_urls(await response.text()):
                        frontier.add(url, 1)
                except Exception:  # a missing sitemap is normal
                    continue
        finally:
            await context.close()

    async def _policy(self, browser: Any) -> dict[str, Any] | None:
        url = self.config.policy_url
        if not url:
            return None
        context = await self._new_context(browser)
        try:
            page = await context.new_page()
            response = await page.goto(url, timeout=self.config.timeout_s * 1000)
            text = await page.inner_text("body")
            return {"url": url, "status": response.status if response else None, "text": text}
        except Exception as exc:  # reported as a V14 error, not a crash
            return {"url": url, "error": str(exc).splitlines()[0], "text": ""}
        finally:
            await context.close()

    async def scan(self) -> ScanRun:
        from playwright.async_api import async_playwright

        cfg = self.config
        started = time.monotonic()
        flags = chromium_flags(cfg)
        self.run.states = list(self.states)
        frontier = Frontier(list(cfg.urls), cfg.pages, cfg.depth)
        queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        total = [0]

        def enqueue_none(page: str) -> None:
            total[0] += len(self.first_states) if self.owns(page) else 1
            queue.put_nowait((page, STATE_NONE))

        # Playwright reports service workers' own fetches only with this switch (Chromium).
        os.environ.setdefault(SERVICE_WORKER_EVENTS, "1")
        with tempfile.TemporaryDirectory(prefix="kelisim-scan-") as profile:
            async with async_playwright() as pw:
                persistent = await launch_scanner(
                    pw, Path(profile), cookie_policy=cfg.cookie_policy, extra_args=flags
                )
                browser = persistent.browser
                self.run.environment = {
                    "browser": f"Chromium {browser.version}",
                    "cookie_policy": cfg.cookie_policy,
                    "storage_partitioning": "on (as in Chrome)",
                    "site_isolation": "off (one CDP session sees every frame)",
                    "flags": launch_args([*SCANNER_ARGS, *flags]),
                    "workers": cfg.workers,
                    "shard": f"{cfg.shard[0]}/{cfg.shard[1]}" if cfg.shard else None,
                    "clustering": self.run.clustering,
                    "autoconsent": self.autoconsent.describe()
                    if self.autoconsent is not None
                    else {"package": autoconsent_driver.PACKAGE, "off": self.autoconsent_missing},
                    "observation": dwell.techniques(
                        min_dwell_s=cfg.min_dwell_s,
                        clock=cfg.fast_clock,
                        interactions=cfg.interact,
                        leave_page=cfg.leave_page,
                    ),
                }
                if cfg.sitemap:
                    await self._sitemap(browser, frontier)
                for page in frontier.pages:
                    enqueue_none(page)
                first_page = frontier.pages[0] if frontier.pages else None

                async def worker() -> None:
                    tabs = Tabs(self, browser)
                    try:
                        await work(tabs)
                    finally:
                        tabs.discard()

                async def work(tabs: Tabs) -> None:
                    while True:
                        page_url, state = await queue.get()
                        try:
                            visit = await self.visit_with_retries(
                                browser,
                                page_url,
                                state,
                                measure=state == STATE_NONE and self.owns(page_url),
                                tabs=tabs,
                            )
                            if self.owns(page_url):
                                self.run.visits.append(visit)
                            self._done += 1
                            if state == STATE_NONE:
                                self._after_none(visit, frontier, queue, enqueue_none)
                            self.progress(visit, self._done, total[0])
                        finally:
                            queue.task_done()

                workers = [asyncio.create_task(worker()) for _ in range(max(1, cfg.workers))]
                await queue.join()
                if self.run.clustering:
                    # Decided once every base visit is in, in crawl order, so two scans of one
                    # site choose the same representatives whichever visit finished first.
                    for page, state in self._cluster(frontier.pages):
                        total[0] += 1
                        queue.put_nowait((page, state))
                    await queue.join()
                wants_fresh = (
                    STATE_FRESH in (cfg.states or [STATE_FRESH])
                    and first_page
                    and self.owns(first_page)
                )
                if wants_fresh and first_page not in self.run.unreachable:
                    total[0] += 1
                    self.run.states.append(STATE_FRESH)
                    queue.put_nowait((first_page, STATE_FRESH))
                    await queue.join()
                for task in workers:
                    task.cancel()
                # Each worker gives back the context it had opened for a visit that never came.
                await asyncio.gather(*workers, return_exceptions=True)
                await self._contexts_closed()
                self.run.policy = await self._policy(browser)
                await persistent.close()
        self.run.pages = frontier.pages
        self.run.finished_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.run.duration_s = round(time.monotonic() - started, 2)
        return self.run

    def _after_none(
        self,
        visit: Visit,
        frontier: Frontier,
        queue: asyncio.Queue[tuple[str, str]],
        enqueue_none: Callable[[str], None],
    ) -> None:
        if not visit.ok:
            self.run.unreachable[visit.page] = visit.error or "unreachable"
            return
        if not {"kelisim", "kelisim_error"} & set(visit.consent_signal):
            self._without_kelisim.add(visit.page)
        for page in frontier.add_links(visit.links, visit.page):
            enqueue_none(page)
        if not self.owns(visit.page):  # another shard's page: visited only for its links
            return
        for state in self.first_states:
            if state != STATE_NONE:
                queue.put_nowait((visit.page, state))

    def _cluster(self, pages: list[str]) -> list[tuple[str, str]]:
        """Group the judged pages by tag fingerprint; the visits still to make: every other
        state of each representative and of each page that is in no cluster."""
        rest = [s for s in self.states if s not in clustering.BASE_STATES]
        judged = [p for p in pages if self.owns(p) and p not in self.run.unreachable]
        base: dict[str, list[Visit]] = {}
        for visit in self.run.visits:
            if visit.state in clustering.BASE_STATES:
                base.setdefault(visit.page, []).append(visit)
        attributor = Attributor(self.catalogue, self.config.necessary, [*self.config.urls, *pages])
        attributor.add_cmp_hosts_from(o for v in self.run.visits for o in v.observations)
        clusters, prints = clustering.plan(judged, base, rest, attributor)
        self.run.clusters, self.run.fingerprints = clusters, prints
        skipped = {p for c in clusters for p in c.pages}
        return [(p, s) for p in judged if p not in skipped for s in rest]
