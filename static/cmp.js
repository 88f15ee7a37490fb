/*! Kelisim consent runtime */
// Gate -> banner -> choice -> activate, in one closure; the only global it adds is window.kelisim.
// Written compact on purpose (it is inlined on every page). cmp/banner.py serves it without the
// full-line comments and indentation, so keep every comment on a line of its own and never split a
// string or template over lines. Modern browsers only (ES2020: arrows, ?., ??).
//
// Page contract: <script src="https://CMP/cmp.js?site=default&lang=ru" data-site="default" async
// fetchpriority="high" nonce="…"> first in <head>, lang being the page's language. fetchpriority
// matters: Chromium runs a plain async script in a low-priority task, after the page is parsed and
// first painted (LowPriorityAsyncScriptExecution); a high one runs as soon as it arrives, so the
// banner is laid out and painted with the page. data-api="https://…" overrides the API
// origin (default: the script's own origin);
// data-floating-button="false" hides the "cookie settings" button (kelisim.show() still works).
// Inert tags: <script type="text/plain" data-vendor="id"> (inline, or with data-src/src), and
// <img|iframe data-vendor="id" data-src="…">; data-vendor may list several ids, all must be granted.
// Activation copies each inert script into a fresh element with the page's nonce (strict-dynamic
// trusts only scripts created by a trusted script), in document order; a non-async external one
// is awaited before the next, so "load library, then call it" pairs keep working.
//
// Tags other code adds later are held by vendor host (and vendor paths such as /matomo.js): the src
// setters of script/img/iframe and setAttribute('src') are patched, so a URL set on a created element
// is withheld (no request; a script gets type "javascript/blocked") and queued; a MutationObserver
// catches markup the parser or innerHTML adds. Granting a vendor releases its queue: a script keeps
// its element (and its onload) and gets its src, a parser-inserted one is re-created with the nonce.
// fetch and sendBeacon to a held host fail. Until the config arrives every cross-origin URL is held.
//
// Consent Mode v2: "default" denied for ad_storage, analytics_storage, ad_user_data and
// ad_personalization (wait_for_update 500) is pushed at start, before anything can load. On every
// applied consent an "update" follows: analytics_storage is granted when any vendor with
// consent_api google_consent_mode (GTM, GA4, Firebase) is granted; the three ad_* signals only when
// such a granted vendor also serves the "marketing" purpose (none does in the seed catalogue, so
// Google's advertising features stay off: no Google Ads product is declared). Clarity gets
// consentv2 {analytics_Storage: its own grant, ad_Storage: its grant if it serves marketing};
// Matomo requireConsent at start, then setConsentGiven / forgetConsentGiven; Amplitude setOptOut.
// Then dataLayer.push({event: 'kelisim_consent', kelisim: {status, granted, revision}}) (no consent
// id: the dataLayer feeds Google), a 'kelisim:consent' CustomEvent on document, kelisim.on('consent').
//
// Config: cmp/banner.py serves static/cmp.min.js (scripts/build-cmp: this file minified, cmp.css
// inlined) with the lean first-layer config of the URL's site and language in place of the
// __KELISIM_CONFIG__ global, so the banner needs no second request. It is used when its site is
// data-site and its language the page's (html lang, then navigator.languages); otherwise, or when
// this file is served as is, /api/v1/config?detail=banner is fetched. The second layer's details
// (descriptions, company, country, what each vendor stores) come from the full /api/v1/config when
// Settings opens, and before declared cookies and storage are deleted.
//
// Storage of its own: the kelisim_consent cookie (the signed token), sessionStorage kelisim:v (the
// verified state for that token, so a normal page view makes no request), kelisim:lang (a language
// picked in the banner) and kelisim:purge (vendors to clean again after a withdrawal's reload).
((W, D) => {
if (W.kelisim) return;
let S = D.currentScript || D.querySelector('script[src*="cmp.js"]') || {},
  X = S.dataset || {}, L = location, V = navigator,
  N = S.nonce || D.querySelector('script[nonce]')?.nonce || '',
  API = (X.api || (S.src ? new URL(S.src).origin : L.origin)).replace(/\/+$/, ''),
  GPC = V.globalPrivacyControl === true,
  // banner.py puts cmp.css here; when cmp.js is served as a plain file cmp.css is linked instead.
  CSS = "__KELISIM_CSS__",
  SITE = X.site || 'default',
  // C config, T texts, G granted ids, A ids granted at some point of this page view, ST stored
  // consent, CID its id, Q held elements, H [host, vendor] pairs, K activation chain, FP the full
  // config on its way, HX the consent cookie the page came with.
  C, T = {}, G = {}, A = {}, ST, CID, DM, RT, DG, FB, PV, TG, CS, FP, HX,
  Q = [], H = [], LS = [], K = Promise.resolve(), F0 = W.fetch,
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

// Consent Mode v2 defaults and Matomo's consent requirement go first, before any tag can load.
gtag('consent', 'default', {ad_storage: DEN, analytics_storage: DEN, ad_user_data: DEN, ad_personalization: DEN, wait_for_update: 500});
(W._paq = W._paq || []).push(['requireConsent']);

// --- gate ---------------------------------------------------------------------------------------
// Held: before the config every cross-origin URL; then a host that belongs only to vendors without
// a grant (a host several vendors share opens when any of them is granted).
// Paths (a self-hosted Matomo's /matomo.js) match on any host.
let held = u => {
  let x = url(u), h = x.hostname, o = 0, g = 0;
  if (!h) return 0;
  if (!C) return h != L.hostname && h != url(API).hostname;
  for (let [p, v] of H) if (p[0] == '/' ? x.pathname == p : h == p || h.endsWith('.' + p)) { o = 1; g ||= G[v] }
  return o && !g;
};
let EP = Element.prototype, SA = EP.setAttribute, SET = {},
  wrap = (P, a, f) => {
    let d = Object.getOwnPropertyDescriptor(P, a);
    Object.defineProperty(P, a, {configurable: true, enumerable: true, get: d.get, set(v) { f(this, v) || d.set.call(this, v) }});
    return d.set;
  },
  block = e => { e.__kt = e.getAttribute('type'); SA.call(e, 'type', 'javascript/blocked') },
  // A src set on a script, image or iframe is withheld (no request) and the element queued.
  hold = (e, v) => {
    if (e.__k || !held(v)) return;
    e.__ks || e.tagName != 'SCRIPT' || block(e);
    e.__ks = v + '';
    Q.includes(e) || Q.push(e);
    return 1;
  },
  typed = (e, v) => e.__ks && (e.__kt = v, 1);
for (let [P, t] of [[HTMLScriptElement, 'SCRIPT'], [HTMLImageElement, 'IMG'], [HTMLIFrameElement, 'IFRAME']]) SET[t] = wrap(P.prototype, 'src', hold);
wrap(HTMLScriptElement.prototype, 'type', typed);
EP.setAttribute = function (n, v) {
  n = (n + '').toLowerCase();
  n == 'src' && SET[this.tagName] && hold(this, v) || n == 'type' && typed(this, v) || SA.apply(this, arguments);
};
W.fetch = function (r) { return C && held(r?.url || r) ? Promise.reject(new TypeError('kelisim: no consent')) : F0.apply(this, arguments) };
let B0 = V.sendBeacon;
if (B0) V.sendBeacon = function (u) { return !(C && held(u)) && B0.apply(this, arguments) };

// A fresh script carrying the page's nonce, with the attributes of `e` (inert or held) copied.
let copy = (e, ty) => {
  let f = D.createElement('script');
  for (let a of e.attributes) /^(type|src|data-src|nonce)$/.test(a.name) || SA.call(f, a.name, a.value);
  ty && SA.call(f, 'type', ty);
  f.__k = 1;
  f.nonce = N;
  return f;
};
// A script held on its way in by code keeps its element (and onload) and just gets its src now;
// one the parser inserted is replaced by a fresh copy, since a parsed script never runs twice.
let release = e => {
  let u = e.__ks, t = e.tagName, f = e;
  delete e.__ks; e.__k = 1;
  if (t == 'SCRIPT') {
    if (e.__kr) f = copy(e, e.__kt);
    else e.__kt == null ? e.removeAttribute('type') : SA.call(e, 'type', e.__kt);
    f.nonce = N;
  }
  SET[t].call(f, u);
  f != e && e.replaceWith(f);
};
let flush = () => { Q = Q.filter(e => held(e.__ks) || release(e)) };
new MutationObserver(ms => {
  for (let m of ms) for (let n of m.addedNodes) if (n.nodeType == 1) for (let e of [n, ...n.querySelectorAll('script,img,iframe')]) {
    let u = e.getAttribute('src');
    if (e.__k || e.__ks) continue;
    if (e.hasAttribute('data-vendor')) C && enq(e);
    else if (u && SET[e.tagName] && held(u)) {
      e.__ks = e.src; Q.push(e);
      e.tagName == 'SCRIPT' ? (e.__kr = 1, block(e)) : e.removeAttribute('src');
    }
  }
}).observe(D.documentElement, {childList: true, subtree: true});

// --- activation of inert markup, in document order; a non-async external script is awaited ---
let ok = s => (s || '').split(/\s+/).every(v => G[v]),
  enq = e => { K = K.then(() => act(e)).catch(noop) },
  act = e => {
    let t = e.tagName, u = e.getAttribute('data-src') || e.getAttribute('src'), f;
    if (e.__k || !ok(e.dataset.vendor)) return;
    e.__k = 1;
    if (t != 'SCRIPT') return u && SET[t] && (SET[t].call(e, u), e.removeAttribute('data-src'));
    if (e.type != 'text/plain') return;
    f = copy(e);
    if (!u) return f.text = e.text, e.replaceWith(f);
    SET.SCRIPT.call(f, u);
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
let keep = j => { setCk(j.token, C.consent_lifetime_days * 86400); ss('kelisim:v', JSON.stringify(j)) };
let get = () => {
  let v = {};
  for (let x of C?.vendors || []) v[x.id] = !!G[x.id];
  return {decided: !!ST, consent_id: CID || null, status: ST?.status || null, granted: Object.keys(G), vendors: v, revision: C?.revision ?? null, expires: ST?.expires || null, gpc: GPC, language: C?.language || null};
};
// Apply a stored or new consent: signals first, then held and inert tags, then vendor APIs, events.
// `still`: the page reloads next, so nothing new is started.
let apply = (st, still) => {
  let ga = 0, gm = 0;
  ST = st; CID = st.consent_id; G = {};
  for (let v of st.granted) { G[v] = 1; still || (A[v] = 1) }
  for (let v of C.vendors) {
    let g = G[v.id], api = v.consent_api;
    if (api == 'google_consent_mode' && g) { ga = 1; gm ||= has(v, 'marketing') }
    if (api == 'matomo') W._paq.push([g ? 'setConsentGiven' : 'forgetConsentGiven']);
  }
  gtag('consent', 'update', {ad_storage: gs(gm), ad_user_data: gs(gm), ad_personalization: gs(gm), analytics_storage: gs(ga)});
  if (!still) {
    flush();
    D.querySelectorAll('[data-vendor]').forEach(enq);
    K = K.then(() => {
      for (let v of C.vendors) {
        let g = !!G[v.id], api = v.consent_api;
        if (api == 'clarity_consentv2') W.clarity?.('consentv2', {ad_Storage: gs(g && has(v, 'marketing')), analytics_Storage: gs(g)});
        if (api == 'amplitude') W.amplitude?.setOptOut?.(!g);
      }
    }).catch(noop);
  }
  let d = get();
  dl.push({event: 'kelisim_consent', kelisim: {status: d.status, granted: d.granted, revision: d.revision}});
  D.dispatchEvent(new CustomEvent('kelisim:consent', {detail: d}));
  for (let f of LS) try { f(d) } catch (e) { setTimeout(() => { throw e }) }
};
// Declared first-party cookies (on the host and every parent domain) and storage of `ids`.
let purge = ids => {
  let hs = L.hostname.split('.'), dm = [''], I = W.indexedDB,
    names = D.cookie.split(/;\s*/).map(c => c.split('=')[0]),
    m = (p, t, n) => t == 'prefix' ? n.startsWith(p) : n == p;
  hs.forEach((x, i) => i < hs.length - 1 && dm.push(';Domain=' + hs.slice(i).join('.')));
  for (let v of C.vendors) if (ids.includes(v.id)) {
    for (let c of v.cookies || []) if (c.party != 'third') for (let n of names) if (m(c.name, c.match, n)) for (let d of dm) D.cookie = n + '=;Max-Age=0;Path=/' + d;
    for (let s of v.storage || []) try {
      if (s.kind != 'indexeddb') { let st = W[s.kind + STO]; for (let k of Object.keys(st)) m(s.key, s.match, k) && st.removeItem(k) }
      else if (s.match != 'prefix') I.deleteDatabase(s.key);
      else I.databases().then(l => { for (let d of l) m(s.key, 'prefix', d.name) && I.deleteDatabase(d.name) }, noop);
    } catch {}
  }
};
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
  let gone = C.vendors.map(v => v.id).filter(v => !j.granted.includes(v)), stop = gone.some(v => A[v]),
    // Deleting needs the full config (fetched first if only the first layer's is here), and is
    // needed only if a refused vendor ran in this page view or the visitor came with a consent
    // cookie (an earlier choice, maybe of an older revision): else nothing of theirs ever ran.
    p = gone[0] && (stop || HX) && full().then(() => purge(gone)).catch(noop);
  close();
  apply(j, stop);
  // Scripts already running cannot be unloaded: reload, and clean again before anything runs.
  if (stop) { ss('kelisim:purge', gone.join(' ')); p.then(() => L.reload()) }
  return get();
});

// --- config and start ---------------------------------------------------------------------------
let langs = () => [ss('kelisim:lang'), D.documentElement.lang, ...V.languages || []].filter(Boolean).map(l => (l = l.toLowerCase().split('-')[0]) == 'kz' ? 'kk' : l),
  // `d`: the full config; else the first layer's. An unknown language falls back to the server's pick.
  cfg = (l, d) => F(API + '/api/v1/config?site=' + encodeURIComponent(SITE) + (l ? '&lang=' + l : '') + (d ? '' : '&detail=banner')).then(r => {
    if (r.ok) return r.json();
    if (l) return cfg(0, d);
    throw r;
  }),
  // The config in the visitor's language: the first known one of langs(), else what the server chose.
  pickC = c => { let b = langs().find(l => c.languages.includes(l)); return b && b != c.language ? cfg(b) : c },
  full = () => C.detail ? FP ||= cfg(C.language, 1).then(setC, e => { FP = 0; throw e }) : Promise.resolve(),
  setC = c => {
    C = c; FP = 0; T = c.texts || {}; H = [];
    for (let v of c.vendors) for (let h of [...v.hosts || [], ...v.paths || []]) H.push([h.toLowerCase().replace(/^\*?\./, ''), v.id]);
  },
  // A verified result is cached in sessionStorage with its token: a normal page view asks nothing.
  verify = t => {
    let c;
    if (!(HX = t)) return;
    try { c = JSON.parse(ss('kelisim:v')) } catch {}
    return c?.token == t ? c : post('/verify', {token: t}).then(j => (j.was = t, j), noop);
  };
let E = window.__KELISIM_CONFIG__,
  ready = Promise.all([E?.site == SITE ? E : cfg(langs()[0]), verify(D.cookie.match(/(?:^|;\s*)kelisim_consent=([^;]*)/)?.[1])]).then(async ([c, st]) => {
  let p = ss('kelisim:purge');
  setC(await pickC(c));
  if (p) { ss('kelisim:purge', null); full().then(() => purge(p.split(' ')), noop) }
  if (st?.valid === false) {
    // Tampered, foreign or expired: no consent. A stale or expired one still names its history.
    if (/stale|expired/.test(st.reason)) try { CID = JSON.parse(atob(st.was.split('.')[0].replace(/-/g, '+').replace(/_/g, '/'))).c } catch {}
    setCk('', 0);
  } else if (st?.revision != C.revision || Date.parse(st.expires) < Date.now()) CID = st?.consent_id;
  else {
    st.was && keep(st);
    apply(st);
  }
  flush();
  body(() => ST ? fab() : open());
  return get();
});
ready.catch(noop);

// --- banner -------------------------------------------------------------------------------------
let t = k => T[k] || k,
  body = f => D.body ? f() : on(D, 'DOMContentLoaded', f),
  el = (n, c, x, p) => {
    let e = D.createElement(n);
    if (c) e.className = c;
    if (x) e.textContent = x;
    p?.append(e);
    return e;
  },
  btn = (p, x, f, c) => { let b = el('button', c, x, p); b.type = 'button'; on(b, 'click', f); return b },
  link = (p, u, x) => { if (/^https?:/i.test(u)) { let a = el('a', 0, x, p); a.href = u; a.target = '_blank'; a.rel = 'noopener' } },
  css = () => {
    if (CS) return;
    // KELISIM_MIN is defined true by scripts/build-cmp (cmp.css is inlined there): this goes.
    let raw = typeof KELISIM_MIN == 'undefined', s = el(raw ? 'link' : 'style', 0, raw ? null : CSS);
    if (raw) { s.rel = 'stylesheet'; s.href = API + '/cmp.css' }
    s.nonce = N;
    D.head.append(CS = s);
  },
  // `lc`: the locale, else the banner's language (a language is named in itself in the switcher).
  intl = (k, o, x, lc) => { try { return new Intl[k](lc || C.language, o)[o.type ? 'of' : 'format'](x) } catch { return x } },
  life = s => {
    if (s == null) return t('session');
    let [n, u] = [[31536e3, 'year'], [86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']].find(x => s >= x[0]) || [1, 'second'];
    return intl('NumberFormat', {style: 'unit', unit: u, unitDisplay: 'long', maximumFractionDigits: 1}, s / n);
  },
  list = (a, k) => (a || []).map(x => x[k] + (x.match == 'prefix' ? '*' : '') + ' (' + (k == 'key' ? x.kind : x.lifetime_text || (x.lifetime_known === false ? t('lifetime_unknown') : life(x.lifetime_seconds))) + ')').join(', ') || '—',
  // One vendor: its toggle, company, country, cross-border flag; what it stores behind a disclosure.
  vendor = (v, p, upd) => {
    let w = el('div', 'k-v', 0, p), lb = el('label', 0, 0, w), b = el('input', 0, 0, lb), ds = el('details'), dd;
    b.type = 'checkbox'; b.value = v.id; b.checked = !!TG[v.id];
    on(b, 'change', () => { TG[v.id] = b.checked; upd() });
    el('span', 0, v.name, lb);
    el('p', 'k-m', [v.company, v.country_name || (v.country ? intl('DisplayNames', {type: 'region'}, v.country) : t('country_unknown')), t(v.data_leaves_kz ? 'data_leaves_kz' : 'data_stays_kz')].join(' · '), w);
    w.append(ds);
    el('summary', 0, t('stores'), ds);
    el('p', 0, v.description, ds);
    dd = el('dl', 0, 0, ds);
    for (let [k, x] of [['cookies', list(v.cookies, 'name')], ['storage', list(v.storage, 'key')]]) { el('dt', 0, t(k), dd); el('dd', 0, x, dd) }
    v.has_unknowns && el('p', 0, t('unknown_facts'), ds);
    link(ds, v.privacy_policy_url, t('vendor_policy_link'));
    return b;
  },
  open = (l2, f) => {
    let h, s, x, d, sc, bb, o = RT;
    // The second layer needs the full config; a dialog closed meanwhile stays closed.
    if (l2 && C.detail) return full().then(() => (!o || RT) && open(l2, f), noop);
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
    DG.textContent = ''; DG.lang = C.language;
    h = el('div', 'k-h', 0, DG);
    el('h2', 0, t('title'), h).id = 'k-t';
    if (C.languages[1]) {
      s = el('select', 0, 0, h); SA.call(s, 'aria-label', t('language'));
      for (let l of C.languages) { let o = el('option', 0, {ru: 'Русский', kk: 'Қазақша', en: 'English'}[l] || l, s); o.value = l; o.selected = l == C.language }
      on(s, 'change', () => { ss('kelisim:lang', s.value); cfg(s.value, l2).then(c => { setC(c); open(l2, 1); fab() }, noop) });
    }
    x = btn(h, '×', esc, 'k-c'); SA.call(x, 'aria-label', t('close'));
    d = el('p', 0, t('description') + ' ', DG); d.id = 'k-x';
    link(d, C.operator?.privacy_policy_url, t('policy_link'));
    if (l2) {
      // Nothing is pre-ticked but the current choice; Global Privacy Control turns marketing off.
      if (!TG) { TG = {}; for (let v of C.vendors) TG[v.id] = !!G[v.id] && !(GPC && has(v, 'marketing')) }
      sc = el('div', 'k-p', 0, DG);
      GPC && el('p', 'k-g', t('gpc_notice'), sc);
      // Once a choice is recorded, its receipt (withdrawal, subject requests) is one click away.
      CID && link(el('p', 'k-r', 0, sc), API + '/consent/' + CID + '?lang=' + C.language, t('receipt_title'));
      for (let p of C.purposes) {
        let sec = el('section', 'k-s', 0, sc), lb = el('label', 0, 0, sec), cb = el('input', 0, 0, lb), r = p.required,
          upd = () => { let n = bs.filter(b => b.checked).length; cb.checked = r || n && n == bs.length; cb.indeterminate = !r && n > 0 && n < bs.length },
          bs;
        cb.type = 'checkbox'; cb.disabled = r;
        el('span', 0, p.name + (r ? ' — ' + t('always_on') : ''), lb);
        el('p', 'k-m', p.description, sec);
        bs = C.vendors.filter(v => v.purposes[0] == p.id).map(v => vendor(v, sec, upd));
        on(cb, 'change', () => { for (let b of bs) TG[b.value] = b.checked = cb.checked; upd() });
        upd();
      }
    }
    bb = el('div', 'k-b', 0, DG);
    btn(bb, t('accept_all'), () => pick('accept_all'));
    btn(bb, t('reject_all'), () => pick('reject_all'));
    l2 ? btn(bb, t('save'), () => pick('custom', TG)) : btn(bb, t('settings'), () => open(1));
    l2 && ST?.status == 'given' && btn(el('div', 'k-w', 0, DG), t('withdraw'), () => pick('withdraw'));
    o || D.body.append(RT);
    if (FB) FB.hidden = 1;
    (f && s || DG).focus();
  },
  pick = (a, ch) => {
    let bs = DG.querySelectorAll('button');
    bs.forEach(b => b.disabled = 1);
    choose(a, ch).catch(() => {
      bs.forEach(b => b.disabled = 0);
      RT && !DG.querySelector('.k-e') && SA.call(el('p', 'k-e', t('save_error'), DG), 'role', 'alert');
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
    FB.textContent = t('change_settings');
    FB.hidden = !!RT;
  },
  show = l2 => ready.then(() => body(() => open(l2 ?? !!ST)));

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
