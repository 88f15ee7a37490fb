"""How long a visit stays and what it does there: a patient visitor, made fast with a fake clock.

Trackers start late on purpose: a GTM timer trigger, "window loaded + 4 s", an idle callback, a
chat widget on first scroll. Waiting for network quiet after load misses all of them, so each visit
dwells past a minimum time after the load event and does what a visitor does: scroll to the bottom,
move the mouse, focus and blur a field. Playwright's clock is installed on every context before the
first navigation, so the minimum dwell is *fast-forwarded* (`clock.run_for`: every timer, interval,
animation frame and idle callback due in that span fires in order) instead of waited for; the
requests those timers start are real and are waited for on network quiet. A visit ends by
navigating away, so `pagehide` / `visibilitychange` beacons are sent and observed.

`techniques()` lists what was done, so a report saying "nothing fired" says how hard it looked.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

INTERACT_JS = """async () => {
  const root = document.scrollingElement || document.documentElement;
  const body = document.body;
  const height = Math.max(root ? root.scrollHeight : 0, body ? body.scrollHeight : 0);
  for (const y of [Math.round(height / 2), height]) {
    window.scrollTo(0, y);
    window.dispatchEvent(new Event('scroll'));
  }
  const field = document.querySelector(
    'input:not([type=hidden]):not([disabled]), textarea:not([disabled]), select:not([disabled])');
  if (field) {
    try { field.focus(); field.blur(); } catch (e) {}
  }
  return !!field;
}"""

# Rounds after the minimum dwell: a tag that arrived late may set timers of its own (a widget that
# polls once a second); each round fast-forwards this long and stops when nothing new happened.
EXTRA_ROUND_MS = 1000
MAX_EXTRA_ROUNDS = 2
LEAVE_SETTLE_S = 3.0
# pagehide beacons are sent before about:blank commits, so by its load event they are already
# on the wire: the quiet window after it only has to let their events arrive.
LEAVE_QUIET_MS = 100


async def install_clock(context: Any) -> bool:
    """Install the fake clock before any page exists; False when this Playwright cannot."""
    try:
        await context.clock.install()
    except Exception:  # an old Playwright without the clock: dwell in real time instead
        return False
    return True


async def interact(page: Any) -> None:
    """Scroll to the bottom, move the mouse across the page, focus and blur the first field."""
    with contextlib.suppress(Exception):  # a page navigating away is observed as it is
        await page.mouse.move(200, 200)
        await page.mouse.move(900, 600, steps=4)
        await page.mouse.wheel(0, 4000)
        await page.evaluate(INTERACT_JS)


async def advance(page: Any, milliseconds: int, clock: bool) -> None:
    """Let `milliseconds` of page time pass: fast-forwarded with the clock, else really waited."""
    if milliseconds <= 0:
        return
    if clock:
        try:
            await page.clock.run_for(milliseconds)
            return
        except Exception:  # the page navigated mid-run: the rest passes in real time, briefly
            pass
    await asyncio.sleep(milliseconds / 1000)


async def dwell(
    page: Any,
    recorder: Any,
    *,
    settle_max_s: float,
    quiet_ms: int,
    min_dwell_s: float,
    clock: bool,
    interactions: bool,
) -> bool:
    """Stay on the loaded page as a patient visitor would; True when it settled in time."""
    loaded_at = time.monotonic()
    await recorder.settle(page, settle_max_s, quiet_ms, clock=clock)
    if interactions:
        await interact(page)
    elapsed_ms = int((time.monotonic() - loaded_at) * 1000)
    await advance(page, max(0, int(min_dwell_s * 1000) - elapsed_ms), clock)
    settled = await recorder.settle(page, settle_max_s, quiet_ms, clock=clock)
    for _ in range(MAX_EXTRA_ROUNDS):
        seen = recorder.activity
        if interactions:
            await interact(page)
        await advance(page, EXTRA_ROUND_MS, clock)
        settled = await recorder.settle(page, settle_max_s, quiet_ms, clock=clock)
        if recorder.activity == seen:
            break
    return settled


async def leave(page: Any, recorder: Any) -> None:
    """Navigate away so the page's pagehide / visibilitychange handlers run and their beacons
    are recorded (marked `on_leave`)."""
    recorder.leaving = True
    with contextlib.suppress(Exception):  # a page that is already gone has nothing to send
        await page.goto("about:blank", wait_until="load", timeout=LEAVE_SETTLE_S * 1000)
    await recorder.settle(page, LEAVE_SETTLE_S, LEAVE_QUIET_MS)
    recorder.leaving = False


def techniques(
    *, min_dwell_s: float, clock: bool, interactions: bool, leave_page: bool
) -> list[str]:
    done = ["waited for the load event, network quiet and every frame loaded"]
    if clock:
        done.append(
            f"Playwright clock installed before navigation; timers, intervals, animation frames "
            f"and idle callbacks fast-forwarded {min_dwell_s:g} s past load, then up to "
            f"{MAX_EXTRA_ROUNDS} more rounds of {EXTRA_ROUND_MS / 1000:g} s while new activity came"
        )
    else:
        done.append(f"dwelt {min_dwell_s:g} s past load in real time (clock not installed)")
    if interactions:
        done.append("scrolled to the bottom, moved the mouse, focused and blurred the first field")
    if leave_page:
        done.append("ended every visit by navigating away (pagehide / visibilitychange beacons)")
    done.append("requests of dedicated workers and service workers observed")
    return done
