"""The first layer of the consent banner, measured (V13): is there a reject button, are the
choices equally prominent, are boxes pre-ticked on the second layer.

"Equal weight" is measured, not judged by eye: each button's bounding box, font size and weight,
and whether it is visible without scrolling. Buttons are found by the configured selectors, else by
their text in Russian, Kazakh or English; open shadow roots are searched too.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

from kelisim.scanner.config import Selectors
from kelisim.scanner.model import BannerMetrics

BUTTON_TEXTS = {
    "accept": r"(accept|allow all|agree|принять|согла|разрешить|қабылда|келісемін|рұқсат)",
    "reject": (
        r"(reject|decline|refuse|deny|отклонить|отказ|запретить|только необходим"
        r"|бас тарт|қабылдамау|тек қажетті)"
    ),
    "settings": (
        r"(settings|customi[sz]e|preferences|manage|настро|параметр|выбрать|баптау|параметрлер)"
    ),
}

# Kelisim's own first layer: three buttons in one row, Accept, Reject, Settings
# (src/kelisim/web/static/cmp/banner.js).
KELISIM_SELECTORS = {
    "accept": "#kelisim .k-b button:nth-of-type(1)",
    "reject": "#kelisim .k-b button:nth-of-type(2)",
    "settings": "#kelisim .k-b button:nth-of-type(3)",
}

MEASURE_JS = """([texts, sels]) => {
  const all = [];
  const clickable = 'button, a, [role=button], input[type=button], input[type=submit]';
  const walk = (root) => {
    for (const el of root.querySelectorAll(clickable)) all.push(el);
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
  };
  walk(document);
  const label = (el) => (el.innerText || el.value || '').trim();
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'
      && Number(s.opacity) > 0.05;
  };
  const describe = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return {
      text: label(el).slice(0, 80), x: r.x, y: r.y, width: r.width, height: r.height,
      area: r.width * r.height, font_size: parseFloat(s.fontSize),
      font_weight: Number(s.fontWeight) || 400, color: s.color, background: s.backgroundColor,
      in_viewport: r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth,
    };
  };
  const out = {};
  for (const [role, pattern] of Object.entries(texts)) {
    let el = null;
    if (sels[role]) { try { el = document.querySelector(sels[role]); } catch (e) {} }
    if (!el) {
      const re = new RegExp(pattern, 'i');
      el = all.find(e => visible(e) && re.test(label(e)));
    }
    if (el && visible(el)) out[role] = describe(el);
  }
  return out;
}"""

PRECHECKED_JS = """() => {
  const out = [];
  const boxes = 'input[type=checkbox], [role=switch][aria-checked=true]';
  const walk = (root) => {
    for (const el of root.querySelectorAll(boxes)) {
      const on = el.getAttribute('role') === 'switch' || el.checked;
      if (!on || el.disabled) continue;
      const text = (el.closest('label') || el.parentElement || el).innerText || '';
      const name = el.dataset.vendor || el.dataset.purpose || el.value || el.name || el.id || text;
      out.push(String(name).trim().slice(0, 60));
    }
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
  };
  walk(document);
  return out;
}"""


# How long the second layer is given to open: on the page's clock when the scan fast-forwards it
# (a consent manager that opens it on a timer), then until its network requests are done (Kelisim
# loads the settings layer on first use).
SETTINGS_QUIET_MS = 300


async def _screenshot(page: Any) -> str | None:
    try:
        png = await page.screenshot(type="png", timeout=5000)
    except Exception:  # a screenshot is evidence, not a requirement
        return None
    return base64.b64encode(png).decode("ascii")


async def measure(
    page: Any,
    page_url: str,
    selectors: Selectors,
    screenshots: bool,
    settle: Callable[[int], Awaitable[object]] | None = None,
) -> BannerMetrics:
    """Measure the banner as a first-time visitor sees it, then open the second layer.

    `settle(quiet_ms)` waits for the page to go quiet after Settings is clicked; without it a
    fixed SETTINGS_QUIET_MS passes.
    """
    sels = {
        "accept": selectors.accept or KELISIM_SELECTORS["accept"],
        "reject": selectors.reject or KELISIM_SELECTORS["reject"],
        "settings": selectors.settings or KELISIM_SELECTORS["settings"],
    }
    try:
        buttons = await page.evaluate(MEASURE_JS, [BUTTON_TEXTS, sels])
    except Exception:  # a page mid-navigation: nothing measured
        buttons = {}
    metrics = BannerMetrics(page=page_url, found=bool(buttons), buttons=buttons)
    if screenshots and buttons:
        metrics.screenshot_png_b64 = await _screenshot(page)
    if "settings" in buttons:
        try:
            settings = page.locator(sels["settings"]).first
            if not await settings.count():
                text = buttons["settings"]["text"]
                settings = page.get_by_role("button", name=text, exact=True).first
            await settings.click(timeout=3000)
            if settle is None:
                await page.wait_for_timeout(SETTINGS_QUIET_MS)
            else:
                await settle(SETTINGS_QUIET_MS)
            metrics.prechecked = await page.evaluate(PRECHECKED_JS)
            if screenshots:
                metrics.settings_screenshot_png_b64 = await _screenshot(page)
        except Exception:  # no second layer reachable: pre-ticks stay unknown
            pass
    return metrics
