"""Observation of one visit: every request, cookie and storage write, in every frame.

Network events come from a CDP session on the page (Chromium is started without site isolation,
so cross-site iframes live in the page's renderer and their traffic reaches the same session).
Playwright's response headers drop `Set-Cookie`, so cookies set by the network are read from
`Network.responseReceivedExtraInfo`, including redirect hops and the ones Chromium refused
(`blockedCookies`). Cookie writes from JavaScript and canvas read-backs come from the probes; the
jar (`Network.getAllCookies`, with partition keys) and per-frame storage snapshots catch the rest.

Requests are counted when sent, not when answered: a fetch cut off by navigation shows as
`net::ERR_ABORTED`, but the server received it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from typing import Any
from urllib.parse import urlsplit

from kelisim.scanner.cookies import CookieLine, parse_cookie_line, value_hash
from kelisim.scanner.model import PHASE_FINAL, PHASE_PRE, Observation
from kelisim.scanner.probes import BINDING, HOOKS_JS

# Requests that stay open by design never make the network "quiet"; they are not waited for.
LONG_LIVED_TYPES = {"WebSocket", "EventSource", "Media"}
MAX_OBSERVATIONS = 5000
# A response whose body the page never reads may never report "finished"; once its headers are in,
# the server has answered, so it stops counting as in flight after this grace period.
RESPONDED_GRACE_S = 1.0
# A request pending longer than this (long polling) no longer holds the page unsettled.
MAX_PENDING_S = 15.0
# Real network silence still required after a quiet window passed on the fake clock: long enough
# for a response handler that was already running to send its follow-up request.
REAL_QUIET_MS = 100
# The renderer's own idle callback, not the clock's fake one: resolves once the page's main thread
# has nothing queued (a script just fetched, a response being handled). False without the clock's
# saved builtins, and the caller then relies on network silence alone.
REAL_IDLE_JS = """(timeoutMs) => new Promise((resolve) => {
  const saved = window.__pwClock && window.__pwClock.builtins;
  const idle = saved && saved.requestIdleCallback;
  if (typeof idle !== 'function') { resolve(false); return; }
  idle.call(window, () => resolve(true), {timeout: timeoutMs});
})"""
# Chromium may hold idle callbacks back for a second after a click (no frame to end); the
# network silence already seen is the main signal, so the idle moment is waited for briefly.
REAL_IDLE_MAX_MS = 250

STORAGE_SNAPSHOT_JS = """async () => {
  const out = {local: [], session: [], indexeddb: []};
  const keys = (s) => {
    const r = [];
    for (let i = 0; i < s.length; i++) r.push([s.key(i), s.getItem(s.key(i))]);
    return r;
  };
  try { out.local = keys(window.localStorage); } catch (e) {}
  try { out.session = keys(window.sessionStorage); } catch (e) {}
  try {
    if (indexedDB.databases) {
      out.indexeddb = (await indexedDB.databases()).map(d => [d.name, String(d.version)]);
    }
  } catch (e) {}
  return out;
}"""


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _stored(cookie: CookieLine, host: str) -> bool:
    """False for deletions and for writes the browser refuses (a Domain the host is not in):
    scripts probe parent domains (Metrica tries ".0.0.1"), which stores nothing."""
    if cookie.lifetime_seconds is not None and cookie.lifetime_seconds <= 0:
        return False
    if not cookie.domain:
        return True
    domain = cookie.domain.lstrip(".")
    if host.replace(".", "").isdigit() or ":" in host:
        return host == domain
    return host == domain or host.endswith("." + domain)


def _initiator(initiator: dict[str, Any] | None) -> str | None:
    """The script Chromium blames for a request: the top of its stack, else the initiator URL.

    Kelisim's runtime patches the src setters, so its frame tops the stack of every tag another
    script inserts; the frame below it is the script that really asked (GTM's container, say,
    which kelisim.scanner.gtm_tags needs). Only when the runtime itself made the request is it
    named.
    """
    if not initiator:
        return None
    stack = initiator.get("stack")
    runtime = None
    while stack:
        for frame in stack.get("callFrames") or []:
            url = frame.get("url", "")
            if not url.startswith(("http://", "https://")):
                continue
            if _KELISIM_RUNTIME.search(url):
                runtime = runtime or url
                continue
            return url
        stack = stack.get("parent")
    return runtime or initiator.get("url") or None


_KELISIM_RUNTIME = re.compile(r"/cmp(?:\.min)?\.js(?:[?#]|$)")


async def _run_clock(page: Any, milliseconds: int) -> bool:
    """Fast-forward the page's clock; False when it has none (or navigated mid-run)."""
    try:
        await page.clock.run_for(milliseconds)
    except Exception:  # no clock on this page: the caller waits in real time
        return False
    return True


async def _real_idle(page: Any, left_s: float) -> None:
    """Wait for the renderer to be idle; where that cannot be asked (no saved builtin, a
    navigating page) the network silence already seen decides alone."""
    timeout_ms = max(50, min(REAL_IDLE_MAX_MS, int(left_s * 1000)))
    with contextlib.suppress(Exception):
        await page.evaluate(REAL_IDLE_JS, timeout_ms)


class Recorder:
    """Collects observations of one page in one consent state, tagged with the current phase."""

    def __init__(self, page_url: str, state: str) -> None:
        self.page_url = page_url
        self.state = state
        self.phase = PHASE_PRE
        self.after_choice = False
        self.observations: list[Observation] = []
        self.canvas_reads: list[dict[str, Any]] = []
        self._inflight: dict[str, float] = {}  # requestId -> when it stops counting as busy
        self._last_activity = time.monotonic()
        self._hops: dict[str, list[tuple[str, str]]] = {}  # requestId -> [(url, phase)]
        self._extra_count: dict[str, int] = {}
        self._pending_cookies: list[tuple[str, int, dict[str, Any], str, bool]] = []
        self._request_obs: dict[str, Observation] = {}
        self._snapshot: dict[tuple[str, str], str] = {}  # artefact key -> value hash at the choice
        self.stuck: list[str] = []  # requests still in flight when a settle ran out of time
        self.activity = 0  # events seen so far: a dwell round that adds none found nothing new
        self.leaving = False  # the visit is navigating away: requests now are pagehide beacons
        self._finished = False

    def begin(self, page_url: str, state: str) -> None:
        """Point a recorder prepared ahead of its visit at that visit's page and state."""
        self.page_url = page_url
        self.state = state
        self._last_activity = time.monotonic()

    # -- wiring -----------------------------------------------------------------------------
    async def attach_context(self, context: Any) -> None:
        """Probes must be installed on the context before its first page exists.

        Service workers run outside the page's target, so the page's CDP session never sees
        their fetches; Playwright reports them on the context (with its service-worker network
        events switched on, see run.py) and they are recorded from there.
        """
        await context.expose_binding(BINDING, self._on_probe)
        await context.add_init_script(HOOKS_JS)
        context.on("request", self._on_worker_request)

    async def attach_page(self, context: Any, page: Any) -> Any:
        cdp = await context.new_cdp_session(page)
        for event, handler in (
            ("Network.requestWillBeSent", self._on_request),
            ("Network.responseReceived", self._on_response),
            ("Network.responseReceivedExtraInfo", self._on_extra_info),
            ("Network.loadingFinished", self._on_done),
            ("Network.loadingFailed", self._on_failed),
            ("Network.webSocketCreated", self._on_websocket),
        ):
            cdp.on(event, handler)
        await cdp.send("Network.enable")
        return cdp

    def mark(self, phase: str, after_choice: bool = True) -> None:
        self.phase = phase
        self.after_choice = after_choice

    def _add(self, obs: Observation) -> Observation:
        self.activity += 1
        if not self._finished and len(self.observations) < MAX_OBSERVATIONS:
            self.observations.append(obs)
        return obs

    def _base(self, kind: str, key: str, **fields: Any) -> Observation:
        return Observation(
            kind=kind,
            state=self.state,
            page=self.page_url,
            phase=self.phase,
            key=key,
            after_choice=self.after_choice,
            on_leave=self.leaving,
            **fields,
        )

    # -- network ----------------------------------------------------------------------------
    def _on_request(self, event: dict[str, Any]) -> None:
        self._last_activity = time.monotonic()
        request = event.get("request") or {}
        url = request.get("url", "")
        if not url.startswith(("http://", "https://")):
            return
        rid = event.get("requestId", "")
        rtype = event.get("type") or "Other"
        if rtype not in LONG_LIVED_TYPES:
            self._inflight[rid] = time.monotonic() + MAX_PENDING_S
        self._hops.setdefault(rid, []).append((url, self.phase))
        host = _host(url)
        obs = self._base(
            "request",
            f"request:{host}",
            host=host,
            url=url,
            frame_url=event.get("documentURL"),
            source="cdp",
            resource_type=rtype.lower(),
            method=request.get("method"),
            initiator=_initiator(event.get("initiator")),
        )
        self._request_obs[rid] = self._add(obs)

    def _on_worker_request(self, request: Any) -> None:
        try:
            worker = request.service_worker
        except Exception:  # a request of a closing context
            return
        if worker is None or not request.url.startswith(("http://", "https://")):
            return
        self._last_activity = time.monotonic()
        host = _host(request.url)
        self._add(
            self._base(
                "request",
                f"request:{host}",
                host=host,
                url=request.url,
                frame_url=worker.url,
                source="service-worker",
                resource_type=(request.resource_type or "other").lower(),
                method=request.method,
                initiator=worker.url,
                worker="service_worker",
            )
        )

    def _on_response(self, event: dict[str, Any]) -> None:
        self._last_activity = time.monotonic()
        rid = event.get("requestId", "")
        if rid in self._inflight:
            self._inflight[rid] = min(self._inflight[rid], time.monotonic() + RESPONDED_GRACE_S)
        obs = self._request_obs.get(rid)
        if obs is not None:
            obs.status = (event.get("response") or {}).get("status")

    def _on_done(self, event: dict[str, Any]) -> None:
        self._last_activity = time.monotonic()
        self._inflight.pop(event.get("requestId", ""), None)

    def _on_failed(self, event: dict[str, Any]) -> None:
        self._on_done(event)
        obs = self._request_obs.get(event.get("requestId", ""))
        if obs is not None:
            obs.error = event.get("errorText") or "failed"

    def _on_websocket(self, event: dict[str, Any]) -> None:
        url = event.get("url", "")
        host = _host(url)
        self._add(
            self._base(
                "request",
                f"request:{host}",
                host=host,
                url=url,
                source="cdp",
                resource_type="websocket",
                method="GET",
                initiator=_initiator(event.get("initiator")),
            )
        )

    def _on_extra_info(self, event: dict[str, Any]) -> None:
        """Set-Cookie lines of one response hop; matched to its URL once the hops are known."""
        self._last_activity = time.monotonic()
        rid = event.get("requestId", "")
        index = self._extra_count.get(rid, 0)
        self._extra_count[rid] = index + 1
        self._pending_cookies.append((rid, index, event, self.phase, self.after_choice))

    def _resolve_set_cookies(self) -> None:
        now = time.time()
        for rid, index, event, phase, after in self._pending_cookies:
            hops = self._hops.get(rid) or []
            url = hops[min(index, len(hops) - 1)][0] if hops else None
            headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
            blocked = {
                c.get("cookieLine", ""): c.get("blockedReasons") or []
                for c in event.get("blockedCookies") or []
            }
            lines = [ln for ln in str(headers.get("set-cookie", "")).split("\n") if ln.strip()]
            lines += [ln for ln in blocked if ln and ln not in lines]
            for line in lines:
                parsed = parse_cookie_line(line, now)
                if parsed is None or not _stored(parsed, _host(url) or ""):
                    continue
                domain = parsed.domain or _host(url) or ""
                self._add(
                    Observation(
                        kind="cookie",
                        state=self.state,
                        page=self.page_url,
                        phase=phase,
                        after_choice=after,
                        key=f"cookie:{parsed.name}@{domain.lstrip('.')}",
                        host=domain,
                        name=parsed.name,
                        url=url,
                        source="set-cookie",
                        lifetime_seconds=parsed.lifetime_seconds,
                        value_hash=parsed.value_hash,
                        partition_key="(partitioned)" if parsed.partitioned else None,
                        blocked=blocked.get(line) or None,
                    )
                )
        self._pending_cookies.clear()

    # -- probes -----------------------------------------------------------------------------
    def _on_probe(self, source: Any, kind: str, data: dict[str, Any]) -> None:
        self._last_activity = time.monotonic()
        frame_url = data.get("frame")
        stack = data.get("stack") or []
        initiator = stack[0] if stack else None
        if kind == "cookie":
            parsed = parse_cookie_line(str(data.get("line", "")))
            frame_host = _host(frame_url) or ""
            if parsed is None or not _stored(parsed, frame_host):
                return
            domain = parsed.domain or frame_host
            self._add(
                self._base(
                    "cookie",
                    f"cookie:{parsed.name}@{domain.lstrip('.')}",
                    host=domain,
                    name=parsed.name,
                    frame_url=frame_url,
                    source="js",
                    initiator=initiator,
                    lifetime_seconds=parsed.lifetime_seconds,
                    value_hash=parsed.value_hash,
                )
            )
        elif kind == "storage":
            skind, key = str(data.get("kind")), str(data.get("key"))
            self._add(
                self._base(
                    "storage",
                    f"storage:{skind}:{key}",
                    host=_host(frame_url),
                    name=key,
                    storage_kind=skind,
                    frame_url=frame_url,
                    source="js",
                    initiator=initiator,
                )
            )
        elif kind == "canvas":
            self.canvas_reads.append(
                {
                    "api": data.get("api"),
                    "frame": frame_url,
                    "initiator": initiator,
                    "host": _host(initiator or frame_url),
                    "phase": self.phase,
                    "state": self.state,
                    "page": self.page_url,
                }
            )

    # -- settle -----------------------------------------------------------------------------
    async def settle(
        self, page: Any, max_s: float, quiet_ms: int, min_s: float = 0.0, clock: bool = False
    ) -> bool:
        """Wait past load, then for network quiet, no request in flight and every frame loaded.

        With the fake clock installed, the quiet window passes on the page's clock: every timer
        due in it fires at once, and the requests they start are waited for as real activity.
        Real time already quiet counts towards a window. Each window that brought activity is
        followed by another, until one passes with none; around the windows only REAL_QUIET_MS
        of real network silence and, at the end, a real idle moment of the renderer are required
        (what a response handler needs to send its follow-up).
        Returns False when `max_s` ran out first (the visit is still used, and marked unsettled).
        """
        start = time.monotonic()
        deadline = start + max_s
        with contextlib.suppress(Exception):  # a page that never fires load is still observed
            await page.wait_for_load_state("load", timeout=max(1.0, max_s) * 1000)
        fast = clock and quiet_ms > REAL_QUIET_MS
        quiet = (REAL_QUIET_MS if fast else quiet_ms) / 1000
        # Page time this settle may fast-forward: no more than a real wait of `max_s` would let
        # pass, so a page that polls for ever sends as many polls as it would in real time.
        budget_ms = int(max_s * 1000)
        window: tuple[float, float] | None = None  # the last fast-forwarded window, real time
        while time.monotonic() < deadline:
            now = time.monotonic()
            busy = any(t > now for t in self._inflight.values())
            silent = now - max(self._last_activity, window[1] if window else 0.0)
            # Real time already quiet counts towards the window; only the rest is fast-forwarded.
            rest_ms = quiet_ms - int((now - self._last_activity) * 1000)
            fresh = window is None or self._last_activity > window[0]
            if fast and fresh and budget_ms > 0 and rest_ms > REAL_QUIET_MS:
                ready = silent >= (0.0 if window is None else quiet)
                if not busy and ready and await self._frames_loaded(page):
                    began = time.monotonic()
                    if not await _run_clock(page, rest_ms):
                        fast, quiet = False, quiet_ms / 1000  # no clock here: wait for real
                    budget_ms -= rest_ms
                    window = (began, time.monotonic())
                    continue
            elif not busy and now - start >= min_s:
                # Either the whole window passed in real time, or a fast-forwarded one brought
                # nothing new and real silence followed it.
                done = rest_ms <= 0 or (fast and not fresh and silent >= quiet)
                if done and (rest_ms <= 0 or not fast):
                    if await self._frames_loaded(page):
                        return True
                elif done:
                    # The frames' load states and the renderer's idle moment are asked at once:
                    # both must hold, and one round trip fewer ends every quiet window sooner.
                    seen = self._last_activity
                    loaded, _ = await asyncio.gather(
                        self._frames_loaded(page), _real_idle(page, deadline - now)
                    )
                    if loaded and self._last_activity == seen:
                        return True
                    if loaded:
                        continue
            # Poll no later than the moment the silence would be long enough.
            due = max(quiet - silent, rest_ms / 1000 if rest_ms <= REAL_QUIET_MS else 0.0)
            await asyncio.sleep(0.05 if busy else min(0.05, max(0.005, due)))
        now = time.monotonic()
        self.stuck = [
            self._request_obs[rid].url or rid
            for rid, t in self._inflight.items()
            if t > now and rid in self._request_obs
        ][:10]
        return False

    @staticmethod
    async def _frames_loaded(page: Any) -> bool:
        frames = [f for f in page.frames if not f.is_detached()]
        states = await asyncio.gather(
            *(f.evaluate("document.readyState") for f in frames), return_exceptions=True
        )
        # A frame navigating away (its evaluate failed) counts as not loaded.
        return all(state == "complete" for state in states)

    # -- snapshots --------------------------------------------------------------------------
    async def snapshot(self, page: Any, cdp: Any, phase: str) -> None:
        """Record the jar and every frame's storage; at PHASE_FINAL compare with the choice."""
        final = phase == PHASE_FINAL
        current: dict[tuple[str, str], str] = {}
        now = time.time()
        self._resolve_set_cookies()
        frames = [
            f
            for f in page.frames
            if not f.is_detached() and f.url.startswith(("http://", "https://"))
        ]
        # Read together, so one slow frame does not hold up the others; the results are then
        # recorded in frame order, as two scans of one site must record them alike.
        jar, *storages = await asyncio.gather(
            cdp.send("Network.getAllCookies"),
            *(f.evaluate(STORAGE_SNAPSHOT_JS) for f in frames),
            return_exceptions=True,
        )
        # A closed target has no jar to read.
        cookies = [] if isinstance(jar, BaseException) else jar.get("cookies", [])
        for c in cookies:
            domain = c.get("domain", "")
            key = f"cookie:{c.get('name')}@{domain.lstrip('.')}"
            vh = value_hash(c.get("value", ""))
            current[("cookie", key)] = vh
            expires = c.get("expires", -1)
            pk = c.get("partitionKey")
            if isinstance(pk, dict):
                pk = pk.get("topLevelSite")
            self._record_snapshot(
                "cookie",
                key,
                vh,
                final,
                phase,
                host=domain,
                name=c.get("name"),
                source="jar",
                lifetime_seconds=None if c.get("session") or expires < 0 else expires - now,
                partition_key=pk or None,
            )
        for frame, data in zip(frames, storages, strict=True):
            if isinstance(data, BaseException):  # detached or navigating frames are skipped
                continue
            host = _host(frame.url)
            for skind in ("local", "session", "indexeddb"):
                for item_key, item_value in data.get(skind) or []:
                    key = f"storage:{skind}:{item_key}"
                    vh = value_hash(str(item_value))
                    if ("storage", key + "@" + str(host)) in current:
                        continue
                    current[("storage", key + "@" + str(host))] = vh
                    self._record_snapshot(
                        "storage",
                        key,
                        vh,
                        final,
                        phase,
                        host=host,
                        name=item_key,
                        storage_kind=skind,
                        frame_url=frame.url,
                        source="snapshot",
                    )
        if not final:
            self._snapshot = current

    def _record_snapshot(
        self, kind: str, key: str, vh: str, final: bool, phase: str, **fields: Any
    ) -> None:
        snap_key = (kind, key if kind == "cookie" else key + "@" + str(fields.get("host")))
        changed = final and self.after_choice and self._snapshot.get(snap_key) != vh
        self._add(
            Observation(
                kind=kind,
                state=self.state,
                page=self.page_url,
                phase=phase,
                key=key,
                value_hash=vh,
                after_choice=changed,
                **fields,
            )
        )

    def finish(self) -> list[Observation]:
        """The visit's observations, final: events of the context while it closes are dropped,
        so what two scans of one site record does not depend on how fast Chromium closes."""
        self._resolve_set_cookies()
        self._finished = True
        return list(self.observations)
