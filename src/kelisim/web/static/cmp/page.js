// Kelisim's consent runtime, /cmp.js after the gate. Its parts (static/cmp/*.js, in the order of
// kelisim/web/banner.py's RUNTIME_PARTS) share one closure, `((W, D) => { … })(window, document)`,
// which banner.py's joined_runtime() puts around them: one IIFE, and the only global it adds is
// window.kelisim (declared in static/kelisim.d.ts). A part may use what another declares, but code
// that runs at once (not in a callback) only what the parts before it declare.
// Written compact on purpose (it is inlined on every page); scripts/build-cmp minifies it, so keep
// every comment on a line of its own and never split a string or template over lines. Modern
// browsers only (ES2020: arrows, ?., ??).
//
// Page contract: <script src="https://CMP/cmp.js?site=default&lang=ru" data-site="default" async
// nonce="…"> first in <head>, lang being the page's language. No fetchpriority="high": Lighthouse's
// simulation counts a high-priority script as render-blocking and moves first contentful paint
// behind it, and the banner waits for the first paint anyway (banner.js), so an early run buys
// nothing. data-api="https://…" overrides the API origin (default: the script's own origin);
// data-floating-button="false" hides the "cookie settings" button (kelisim.show() still works).
//
// Tags other code adds later, and unmarked vendor tags: static/gate.js (the first part of
// /cmp.js, or the synchronous bootstrap /bootstrap.js put before every other script) holds every
// URL of a vendor without consent on every insertion path, and releases it on grant; see
// docs/gating.md for what each mode guarantees. The runtime tells the gate the rules (the config's
// vendors) and the grants.
//
// Storage of its own: the kelisim_consent cookie (the signed token), sessionStorage kelisim:v (the
// verified state for that token, so a page view within data-reverify seconds of the last check
// makes no request), kelisim:lang (a language picked in the banner) and kelisim:purge (vendors to
// clean again after a withdrawal's reload). Nothing is stored on the page's elements: what the
// runtime and the gate know of one is kept in the gate's WeakSet `done` and maps of its own.
if (W.kelisim) return;
let script = D.currentScript || D.querySelector('script[src*="cmp.js"]') || {},
  attrs = script.dataset || {}, reverifySeconds = +(attrs.reverify ?? 30), loc = location, nav = navigator,
  API = (attrs.api || (script.src ? new URL(script.src).origin : loc.origin)).replace(/\/+$/, ''),
  GPC = nav.globalPrivacyControl === true,
  // banner.py puts cmp.css here; when the runtime is served unbuilt cmp.css is linked instead.
  CSS = "__KELISIM_CSS__",
  SITE = attrs.site || 'default',
  nativeFetch = W.fetch,
  noop = () => {},
  on = (e, n, f, c) => e.addEventListener(n, f, c),
  fetchApi = (u, o) => nativeFetch.call(W, u, o),
  session = (k, v) => { try { let s = W.sessionStorage; return v === undefined ? s.getItem(k) : v === null ? s.removeItem(k) : s.setItem(k, v) } catch {} },
  url = u => { try { return new URL(u, D.baseURI) } catch { return {} } },
  serves = (v, p) => v.purposes.includes(p);

// The gate (static/gate.js) comes first in /cmp.js, or the bootstrap installed it before. Without
// one (cmp.js?gate=0 and no bootstrap) nothing could be held: nothing is activated either.
let gate = W[Symbol.for('kelisim.gate')], setAttr = Element.prototype.setAttribute;
if (!gate) { console.error('kelisim: no gate: drop gate=0, or load /bootstrap.js first'); return }
// The gate's own setAttribute (not the one it wraps), and its set of elements it leaves alone; a
// bootstrap older than this runtime (inlined by the site, or still cached) shares none, and this
// one then keeps its own.
setAttr = gate.SA;
let done = gate.done || new WeakSet;
gate.allow(url(API).hostname);
gate.inert(e => config && enqueue(e));
