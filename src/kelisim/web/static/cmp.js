/*! Kelisim consent runtime */
// Gate -> banner -> choice -> activate, in one closure; the only global it adds is window.kelisim.
// Written compact on purpose (it is inlined on every page). kelisim/web/banner.py serves it without the
// full-line comments and indentation, so keep every comment on a line of its own and never split a
// string or template over lines. Modern browsers only (ES2020: arrows, ?., ??).
//
// Page contract: <script src="https://CMP/cmp.js?site=default&lang=ru" data-site="default" async
// nonce="…"> first in <head>, lang being the page's language. No fetchpriority="high": Lighthouse's
// simulation counts a high-priority script as render-blocking and moves first contentful paint
// behind it, and the banner waits for the first paint anyway (body() below), so an early run buys
// nothing. data-api="https://…" overrides the API
// origin (default: the script's own origin);
// data-floating-button="false" hides the "cookie settings" button (kelisim.show() still works).
// Inert tags: <script type="text/plain" data-vendor="id"> (inline, or with data-src/src), and
// <img|iframe data-vendor="id" data-src="…">; data-vendor may list several ids, all must be granted.
// Activation copies each inert script into a fresh element with the page's nonce (strict-dynamic
// trusts only scripts created by a trusted script), in document order; a non-async external one
// is awaited before the next, so "load library, then call it" pairs keep working.
//
// Tags other code adds later, and unmarked vendor tags: static/gate.js (the first part of
// /cmp.js, or the synchronous bootstrap /bootstrap.js put before every other script) holds every
// URL of a vendor without consent on every insertion path, and releases it on grant; see
// docs/gating.md for what each mode guarantees. This file tells the gate the rules (the config's
// vendors) and the grants.
//
// Consent Mode v2: the gate pushes "default" (all denied, wait_for_update 500) before anything can
// load. Every applied consent pushes an "update" derived per vendor: a type is granted when a
// granted vendor declares it in consent_mode (vendors.yaml), so Google Tag Manager alone grants
// nothing. On a page view that finds a stored consent the update waits for DOMContentLoaded, so a
// "default" the page's own snippet pushes always comes before it. Vendor APIs are told on every
// page view, whenever their code arrives: Clarity consentv2 {analytics_Storage: its grant,
// ad_Storage: its grant if it serves marketing} through Clarity's own queue, Amplitude setOptOut
// (also when window.amplitude is assigned later), Matomo requireConsent, then setConsentGiven /
// forgetConsentGiven. Then dataLayer.push({event: 'kelisim_consent', kelisim: {status, granted,
// revision}}) (no consent id: the dataLayer feeds Google), a 'kelisim:consent' CustomEvent on
// document, kelisim.on('consent').
//
// Other tabs and other places: the token is verified again (POST /api/v1/consent/verify) when the
// tab gets focus or becomes visible, and every data-reverify seconds (30 by default) while visible;
// a choice in one tab reaches the others of the site at once (BroadcastChannel, and a storage event
// as fallback). A withdrawal on the receipt page, a block by staff, or a narrower choice elsewhere
// is applied without a reload: the vendors are held again (new requests fail, held tags stay held)
// and their declared first-party cookies and storage are deleted, again on every check while
// their code, already running, could write them back.
//
// Config: kelisim/web/banner.py serves cmp.min.js (scripts/build-cmp: this file minified, cmp.css
// inlined) with the lean first-layer config of the URL's site and language in place of the
// __KELISIM_CONFIG__ global, so the banner needs no second request. It is used when its site is
// data-site and its language the page's (html lang, then navigator.languages); otherwise, or when
// this file is served as is, /api/v1/config?detail=banner is fetched. The second layer's details
// (descriptions, company, country, what each vendor stores) come from the full /api/v1/config when
// Settings opens, and before declared cookies and storage are deleted; the code that shows them and
// deletes (static/cmp-settings.js, served as /cmp-settings.js) is loaded then too, so a visitor who
// answers the first layer downloads neither.
//
// Storage of its own: the kelisim_consent cookie (the signed token), sessionStorage kelisim:v (the
// verified state for that token, so a page view within data-reverify seconds of the last check
// makes no request), kelisim:lang (a language
// picked in the banner) and kelisim:purge (vendors to clean again after a withdrawal's reload).
((W, D) => {
if (W.kelisim) return;
let S = D.currentScript || D.querySelector('script[src*="cmp.js"]') || {},
  X = S.dataset || {}, RV = +(X.reverify ?? 30), L = location, V = navigator,
  API = (X.api || (S.src ? new URL(S.src).origin : L.origin)).replace(/\/+$/, ''),
  GPC = V.globalPrivacyControl === true,
  // banner.py puts cmp.css here; when cmp.js is served as a plain file cmp.css is linked instead.
  CSS = "__KELISIM_CSS__",
  SITE = X.site || 'default',
  // C config, T texts, G granted ids, A ids granted at some point of this page view, ST stored
  // consent, CID its id, K activation chain, FP the full config on its way, HX the consent cookie
  // the page came with, BC the channel to the site's other tabs.
  C, T = {}, G = {}, A = {}, ST, CID, DM, RT, DG, FB, PV, TG, CS, FP, HX, BC, M, MP,
  SV = window.__KELISIM_SETTINGS__,
  LS = [], K = Promise.resolve(), F0 = W.fetch,
  dl = W.dataLayer = W.dataLayer || [],
  DEN = 'denied', GR = 'granted', STO = 'Storage',
  gtag = function () { dl.push(arguments) },
  noop = () => {},
  on = (e, n, f, c) => e.addEventListener(n, f, c),
  F = (u, o) => F0.call(W, u, o),
  ss = (k, v) => { try { let s = W['session' + STO]; return v === undefined ? s.getItem(k) : v === null ? s.removeItem(k) : s.setItem(k, v) } catch {} },
  url = u => { try { return new URL(u, D.baseURI) } catch { return {} } },
  has = (v, p) => v.purposes.includes(p),
  gs = x => x ? GR : DEN;

// The gate (static/gate.js) comes first in /cmp.js, or the bootstrap installed it before. Without
// one (cmp.js?gate=0 and no bootstrap) nothing could be held: nothing is activated either.
let g = W[Symbol.for('kelisim.gate')], SA = Element.prototype.setAttribute;
if (!g) { console.error('kelisim: no gate; include /bootstrap.js first, or drop gate=0 from cmp.js'); return }
SA = g.SA;
let done = g.done;
g.allow(url(API).hostname);
g.inert(e => C && enq(e));

// --- activation of inert markup, in document order; a non-async external script is awaited ---
let ok = s => (s || '').split(/\s+/).every(v => G[v]),
  enq = e => { K = K.then(() => act(e)).catch(noop) },
  act = e => {
    let t = e.tagName, u = e.getAttribute('data-src') || e.getAttribute('src'), f;
    if (done.has(e) || !ok(e.dataset.vendor)) return;
    done.add(e);
    if (t != 'SCRIPT') return u && g.SET[t] && (g.put(e, 'src', u), e.removeAttribute('data-src'));
    if (e.type != 'text/plain') return;
    f = g.copy(e);
    if (!u) return f.text = e.text, e.replaceWith(f);
    g.put(f, 'src', u);
    return new Promise(r => {
      on(f, 'load', r); on(f, 'error', r);
      e.replaceWith(f);
      e.hasAttribute('async') && r();
    });
  };

// --- consent state ------------------------------------------------------------------------------
let setCk = (v, age) => {
  D.cookie = 'kelisim_consent=' + v + ';Path=/;SameSite=Lax;Max-Age=' + age + (C.cookie_domain ? ';Domain=' + C.cookie_domain : '') + (L.protocol == 'https:' ? ';Secure' : '');
};
let keep = j => { setCk(j.token, C.consent_lifetime_days * 86400); ss('kelisim:v', JSON.stringify({...j, at: Date.now()})) };
let get = () => {
  let v = {};
  for (let x of C?.vendors || []) v[x.id] = !!G[x.id];
  return {decided: !!ST, consent_id: CID || null, status: ST?.status || null, granted: Object.keys(G), vendors: v, revision: C?.revision ?? null, expires: ST?.expires || null, gpc: GPC, language: C?.language || null};
};
// Vendors' own consent switches, for the current grants. Called on every applied consent, after
// the activation chain, and when window.amplitude is assigned: the vendor's code may come later.
let vapi = () => {
  for (let v of C?.vendors || []) {
    let x = !!G[v.id], api = v.consent_api;
    if (api == 'clarity_consentv2') W.clarity?.('consentv2', {ad_Storage: gs(x && has(v, 'marketing')), analytics_Storage: gs(x)});
    if (api == 'amplitude') AMP?.setOptOut?.(!x);
  }
};
let AMP = W.amplitude;
try { Object.defineProperty(W, 'amplitude', {configurable: true, enumerable: true, get: () => AMP, set: v => { AMP = v; ST && vapi() }}) } catch {}
// Apply a stored or new consent: signals first, then held and inert tags, then vendor APIs, events.
// `still`: the page reloads next, so nothing new is started.
let apply = (st, still) => {
  let cm = {ad_storage: 0, ad_user_data: 0, ad_personalization: 0, analytics_storage: 0};
  ST = st; CID = st.consent_id; G = {};
  for (let v of st.granted) { G[v] = 1; still || (A[v] = 1) }
  for (let v of C.vendors) {
    let x = G[v.id];
    if (x) for (let k of v.consent_mode || []) cm[k] = 1;
    if (v.consent_api == 'matomo') W._paq.push([x ? 'setConsentGiven' : 'forgetConsentGiven']);
  }
  for (let k in cm) cm[k] = gs(cm[k]);
  gtag('consent', 'update', cm);
  g.grant(still ? {} : G);
  if (!still) {
    D.querySelectorAll('[data-vendor]').forEach(enq);
    vapi();
    K = K.then(vapi).catch(noop);
  }
  let d = get();
  dl.push({event: 'kelisim_consent', kelisim: {status: d.status, granted: d.granted, revision: d.revision}});
  D.dispatchEvent(new CustomEvent('kelisim:consent', {detail: d}));
  for (let f of LS) try { f(d) } catch (e) { setTimeout(() => { throw e }) }
};
// Declared first-party cookies and storage of `ids` deleted, by the settings layer with the full
// config.
let purge = ids => deep().then(() => M.p(ids));
// Network failures and 5xx are retried with the same body, so with the same event_id.
let post = (p, b, n = 0) => F(API + '/api/v1/consent' + p, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(b)})
  .then(r => { if (r.status > 499) throw 0; return r.json().then(j => { if (r.ok) return j; throw j }) })
  .catch(e => {
    if (n > 3 || e !== 0 && !(e instanceof TypeError)) throw e;
    return new Promise(r => setTimeout(r, 300 << n)).then(() => post(p, b, n + 1));
  });
let choose = (a, ch) => ready.then(() => {
  let b = {site: SITE, revision: C.revision, language: C.language, action: a, choices: ch, event_id: [...crypto.getRandomValues(new Uint8Array(16))].map(x => (x + 256).toString(16).slice(1)).join(''), gpc: GPC, page: L.origin + L.pathname};
  if (CID && a != 'dismiss') b.consent_id = CID;
  return post('', b);
}).then(j => {
  if (a == 'dismiss') return get();
  keep(j);
  // Answered on a banner a material publish has replaced: kept as proof, asked again next view.
  j.holds === false && ss('kelisim:v', null);
  let gone = C.vendors.map(v => v.id).filter(v => !j.granted.includes(v)), stop = gone.some(v => A[v]),
    // Deleting needs the full config (fetched first if only the first layer's is here), and is
    // needed only if a refused vendor ran in this page view or the visitor came with a consent
    // cookie (an earlier choice, maybe of an older revision): else nothing of theirs ever ran.
    p = gone[0] && (stop || HX) && purge(gone).catch(noop);
  close();
  apply(j, stop);
  // Scripts already running cannot be unloaded: reload, and clean again before anything runs.
  if (stop) { ss('kelisim:purge', gone.join(' ')); p.then(() => L.reload()) }
  tell();
  return get();
});

// --- config and start ---------------------------------------------------------------------------
let NC, langs = () => [ss('kelisim:lang'), D.documentElement.lang, ...V.languages || []].filter(Boolean).map(l => (l = l.toLowerCase().split('-')[0]) == 'kz' ? 'kk' : l),
  // `d`: the full config; else the first layer's. An unknown language falls back to the server's pick.
  // `n`: past the HTTP cache (revalidated), once the cached copy is known to be older than live.
  cfg = (l, d, n = NC) => F(API + '/api/v1/config?site=' + encodeURIComponent(SITE) + (l ? '&lang=' + l : '') + (d ? '' : '&detail=banner'), n && {cache: 'no-cache'}).then(r => {
    if (r.ok) return r.json();
    if (l) return cfg(0, d, n);
    throw r;
  }),
  // The config in the visitor's language: the first known one of langs(), else what the server chose.
  pickC = c => { let b = langs().find(l => c.languages.includes(l)); return b && b != c.language ? cfg(b) : c },
  full = () => C.detail ? FP ||= cfg(C.language, 1).then(setC, e => { FP = 0; throw e }) : Promise.resolve(),
  setC = c => {
    C = c; FP = 0; T = c.texts || {};
    g.rules(c.vendors);
  },
  // A verified result is cached in sessionStorage with its token: a normal page view asks nothing.
  verify = t => {
    let c;
    if (!(HX = t)) return;
    try { c = JSON.parse(ss('kelisim:v')) } catch {}
    return c?.token == t && (RV <= 0 || Date.now() - c.at < RV * 1e3) ? c : post('/verify', {token: t}).then(j => (j.was = t, j), noop);
  };
let E = window.__KELISIM_CONFIG__;
E?.site == SITE && g.rules(E.vendors);
let dcl = () => new Promise(r => D.readyState == 'loading' ? on(D, 'DOMContentLoaded', r) : r()),
  ready = Promise.all([E?.site == SITE ? E : cfg(langs()[0]), verify(D.cookie.match(/(?:^|;\s*)kelisim_consent=([^;]*)/)?.[1])]).then(async ([c, st]) => {
  let p = ss('kelisim:purge');
  setC(await pickC(c));
  // This script (and the config in it) is older than the live revision: load the live one.
  st?.current_revision > C.revision && setC(await cfg(C.language, 0, NC = 1).catch(() => C));
  if (p) { ss('kelisim:purge', null); purge(p.split(' ')).catch(noop) }
  if (st?.valid === false) {
    // Tampered, foreign or expired: no consent. A stale or expired one still names its history.
    if (/stale|expired/.test(st.reason)) try { CID = JSON.parse(atob(st.was.split('.')[0].replace(/-/g, '+').replace(/_/g, '/'))).c } catch {}
    setCk('', 0);
  } else if (!st || st.revision < (C.consent_revision ?? C.revision) || Date.parse(st.expires) < Date.now()) CID = st?.consent_id;
  else {
    st.was && keep(st);
    // The page's own Consent Mode "default" (in its head) comes first, then this update.
    await dcl();
    apply(st);
  }
  ST || g.grant({});
  body(() => ST ? fab() : open());
  watch();
  return get();
});
ready.catch(noop);

// --- other tabs and places ----------------------------------------------------------------------
// The consent as the server knows it now, applied here if it changed: a withdrawal on the receipt
// page, a block by staff, a choice in another tab. Vendors no longer granted are held again and
// what they stored is deleted (again on every check while their code may still run).
let ck = () => D.cookie.match(/(?:^|;\s*)kelisim_consent=([^;]*)/)?.[1],
  busy, LT = 0,
  // What vendors no longer granted (but run in this page view) stored: deleted on every check.
  clean = () => { let gone = Object.keys(A).filter(v => !G[v]); gone[0] && purge(gone).catch(noop) },
  sync = () => {
    let t = ck();
    C && clean();
    if (busy || !C || !t && !ST) return;
    busy = 1; LT = Date.now();
    (t ? post('/verify', {token: t}) : Promise.resolve({valid: false})).then(st => {
      // A new revision is for the next page view to ask about (with the live config, not the
      // one this script came with); it withdraws nothing here.
      st.current_revision > C.revision && ss('kelisim:v', null);
      if (st.valid === false ? st.reason == 'stale_revision' : st.revision < (C.consent_revision ?? C.revision)) return;
      if (!st.valid) {
        // Blocked, expired, unknown or forged: no consent from now on.
        t && setCk('', 0);
        ss('kelisim:v', null);
        if (ST) { ST = null; G = {}; g.grant(G); gtag('consent', 'update', {ad_storage: DEN, ad_user_data: DEN, ad_personalization: DEN, analytics_storage: DEN}); vapi() }
      } else if (st.token != ST?.token || [...st.granted].sort() + '' != Object.keys(G).sort() + '') {
        keep(st);
        apply(st);
        close();
      }
      clean();
    }, noop).finally(() => { busy = 0 });
  },
  tell = () => {
    try { BC?.postMessage(1) } catch {}
    try { localStorage.setItem('kelisim:sync', Date.now()); localStorage.removeItem('kelisim:sync') } catch {}
  },
  watch = () => {
    try { BC = new BroadcastChannel('kelisim'); BC.onmessage = sync } catch {}
    on(W, 'storage', e => e.key == 'kelisim:sync' && e.newValue && sync());
    // Focus comes often: one check in five seconds is enough for it.
    on(W, 'focus', () => Date.now() - LT > 5e3 && sync());
    on(D, 'visibilitychange', () => D.visibilityState == 'visible' && Date.now() - LT > 5e3 && sync());
    RV > 0 && setInterval(() => D.visibilityState == 'visible' && sync(), RV * 1e3);
  };

// --- banner -------------------------------------------------------------------------------------
let t = k => T[k] || k,
  // The banner is built after the page's first paint (the frame after the body exists, or at
  // once if the page has painted content), so its style and layout never delay the page's first
  // contentful paint; a hidden tab paints nothing and shows the banner when it is looked at.
  body = f => {
    let g = () => performance.getEntriesByName('first-contentful-paint')[0] ? f() : requestAnimationFrame(() => setTimeout(f));
    D.body ? g() : on(D, 'DOMContentLoaded', g);
  },
  el = (n, c, x, p) => {
    let e = D.createElement(n);
    if (c) e.className = c;
    if (x) e.textContent = x;
    p?.append(e);
    return e;
  },
  // `a`: the button's data-kelisim-action, a documented hook (README) for tools that answer
  // banners for the visitor, such as DuckDuckGo's autoconsent (integrations/autoconsent/).
  btn = (p, x, f, c, a) => { let b = el('button', c, x, p); b.type = 'button'; on(b, 'click', f); a && SA.call(b, 'data-kelisim-action', a); return b },
  link = (p, u, x) => { if (/^https?:/i.test(u)) { let a = el('a', 0, x, p); a.href = u; a.target = '_blank'; a.rel = 'noopener' } },
  css = () => {
    if (CS) return;
    // KELISIM_MIN is defined true by scripts/build-cmp (cmp.css is inlined there): this goes.
    let raw = typeof KELISIM_MIN == 'undefined', s = el(raw ? 'link' : 'style', 0, raw ? null : CSS);
    if (raw) { s.rel = 'stylesheet'; s.href = API + '/cmp.css' }
    s.nonce = g.N;
    D.head.append(CS = s);
  },
  // The settings layer (static/cmp-settings.js): loaded once, on first use, with the page's nonce;
  // SV is its version (banner.py), so its URL is cached for a year. It gets the helpers it shares.
  mod = () => MP ||= new Promise((r, j) => {
    let e = el('script');
    e.onload = r;
    e.onerror = () => { MP = 0; j() };
    e.nonce = g.N; done.add(e);
    g.put(e, 'src', API + '/cmp-settings.js' + (SV || ''));
    D.head.append(e);
  }).then(() => M = W[Symbol.for('kelisim.settings')]({e: el, b: btn, l: link, t, p: pick, o: on, a: SA, h: has, n: g.N, x: () => [C, G, ST, CID, GPC, API]})),
  // The second layer and deleting need both the full config and the settings layer.
  deep = () => Promise.all([full(), mod()]),
  // Appearance from the catalogue on the dialog's root and the floating button: light, dark or
  // the visitor's scheme (auto), colours as custom properties (the CSSOM is not inline style, so a
  // nonce-only style-src allows it).
  look = (e, c) => {
    let ap = C.appearance || {}, dk = ap.theme == 'dark' || ap.theme == 'auto' && W.matchMedia?.('(prefers-color-scheme: dark)').matches;
    e.className = c + (dk ? ' k-dark' : '');
    for (let [k, v] of Object.entries(ap.colors?.[dk ? 'dark' : 'light'] || {})) e.style.setProperty('--k' + {background: 'b', text: 't', accent: 'a', accent_text: 'o'}[k], v);
  },
  // The dialog is a column: a header (logo, title, language, close) and an action bar that never
  // scroll, and between them the only scrolling part, shadowed at an edge with more to read. So
  // Accept all, Reject all and Settings (or Save) stay in view on any screen from 320x320 up.
  open = (l2, f) => {
    let h, s, x, y, d, bb, o = RT, ap = C.appearance || {};
    // The second layer needs the full config; a dialog closed meanwhile stays closed.
    if (l2 && (C.detail || !M)) return deep().then(() => (!o || RT) && open(l2, f), noop);
    css();
    if (!RT) {
      PV = D.activeElement;
      // Built detached and attached once below: one insertion for the page's observers and styles.
      RT = el('div'); RT.id = 'kelisim';
      DG = el('div', 'k-d', 0, RT);
      for (let [k, v] of [['role', 'dialog'], ['aria-modal', 'true'], ['aria-labelledby', 'k-t'], ['aria-describedby', 'k-x'], ['tabindex', '-1']]) SA.call(DG, k, v);
      // Added once (the same listener twice is one), idle while no dialog is open.
      on(D, 'keydown', key, true);
      on(D, 'focusin', trap, true);
    }
    look(RT, 'k-' + (ap.position || 'bar'));
    DG.textContent = ''; DG.lang = C.language;
    h = el('div', 'k-h', 0, DG);
    if (/^https:\/\//i.test(ap.logo_url)) { let i = el('img', 'k-l', 0, h); i.alt = ''; i.src = ap.logo_url }
    el('h2', 0, t('title'), h).id = 'k-t';
    if (C.languages[1]) {
      s = el('select', 0, 0, h); SA.call(s, 'aria-label', t('language'));
      for (let l of C.languages) { let o = el('option', 0, {ru: 'Русский', kk: 'Қазақша', en: 'English'}[l] || l, s); o.value = l; o.selected = l == C.language }
      on(s, 'change', () => { ss('kelisim:lang', s.value); cfg(s.value, l2).then(c => { setC(c); open(l2, 1); fab() }, noop) });
    }
    x = btn(h, '×', esc, 'k-c', 'close'); SA.call(x, 'aria-label', t('close'));
    y = el('div', 'k-y', 0, DG);
    d = el('p', 0, t('description') + ' ', y); d.id = 'k-x';
    link(d, C.operator?.privacy_policy_url, t('policy_link'));
    if (l2) TG = M.l(y, TG);
    bb = el('div', 'k-b', 0, DG);
    btn(bb, t('accept_all'), () => pick('accept_all'), 0, 'accept-all');
    btn(bb, t('reject_all'), () => pick('reject_all'), 0, 'reject-all');
    l2 ? btn(bb, t('save'), () => pick('custom', TG), 0, 'save') : btn(bb, t('settings'), () => open(1), 0, 'settings');
    o || D.body.append(RT);
    if (FB) FB.hidden = 1;
    (f && s || DG).focus();
  },
  pick = (a, ch) => {
    let bs = DG.querySelectorAll('button');
    bs.forEach(b => b.disabled = 1);
    choose(a, ch).catch(() => {
      bs.forEach(b => b.disabled = 0);
      RT && !DG.querySelector('.k-e') && SA.call(el('p', 'k-e', t('save_error'), DG.querySelector('.k-y')), 'role', 'alert');
    });
  },
  // Closing is not consent: recorded once as "dismiss" when there is no choice yet, never stored.
  esc = () => {
    if (!ST && !DM) { DM = 1; choose('dismiss').catch(noop) }
    close();
  },
  close = () => {
    if (!RT) return;
    RT.remove(); RT = TG = 0;
    fab();
    PV?.focus?.();
  },
  trap = e => RT && !DG.contains(e.target) && DG.focus(),
  key = e => {
    if (!RT) return;
    if (e.key == 'Escape') { e.preventDefault(); esc() }
    if (e.key != 'Tab') return;
    let f = [...DG.querySelectorAll('button,select,input,a,summary')].filter(x => !x.disabled && x.getClientRects().length), a = D.activeElement, z = f[f.length - 1];
    if (e.shiftKey ? a == f[0] || a == DG : a == z) { e.preventDefault(); (e.shiftKey ? z : f[0]).focus() }
  },
  fab = () => {
    if (X.floatingButton == 'false' || !C) return;
    if (!FB) { FB = btn(D.body, '', () => show()); FB.id = 'kelisim-f'; css() }
    look(FB, '');
    FB.textContent = t('change_settings');
    FB.hidden = !!RT;
  },
  show = l2 => ready.then(() => body(() => open(l2 ?? !!ST)));

// A link or button with data-kelisim-show opens the banner; a link's href (the /preferences page on
// the CMP host, README) is where it leads without JavaScript.
on(D, 'click', e => { let a = e.target.closest?.('[data-kelisim-show]'); if (a && !e.defaultPrevented) { e.preventDefault(); show() } });
// The current status on <html data-kelisim-status="given|refused|withdrawn">: for the site's own
// styles and for autoconsent's self-test (integrations/autoconsent/kelisim.json).
on(D, 'kelisim:consent', e => SA.call(D.documentElement, 'data-kelisim-status', e.detail.status));

W.kelisim = {
  ready, get, show,
  acceptAll: () => choose('accept_all'),
  rejectAll: () => choose('reject_all'),
  withdraw: () => choose('withdraw'),
  set: o => ready.then(() => {
    let ch = get().vendors;
    for (let k in o) {
      if (!(k in ch) || typeof o[k] != 'boolean') throw new TypeError('kelisim.set: ' + k);
      ch[k] = o[k];
    }
    return choose('custom', ch);
  }),
  on: (n, f) => {
    n == 'consent' && LS.push(f);
    return () => { LS = LS.filter(x => x != f) };
  }
};
})(window, document);
