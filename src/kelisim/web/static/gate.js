/*! Kelisim gate */
// The tag gate: holds every request to a vendor without consent, whoever starts it. It is the first
// part of /cmp.js (async mode) and, alone, the synchronous bootstrap /bootstrap.js (auto-blocking
// mode, docs/gating.md). It installs once: whichever copy runs first owns the page, and cmp.js
// reaches it through the registered symbol kelisim.gate. Same compact style as cmp.js (comments on
// their own lines, nothing split over lines).
//
// Rules: [host, path, vendor]. A rule matches a URL whose normalised host (lowercase, punycode, no
// trailing dot) is `host` or under it, and whose path starts with `path` (a host-less rule: the
// path exactly, on any host, e.g. a self-hosted /matomo.js). Only the most specific matching rules
// count (a path rule beats any host rule, a longer host beats a shorter one); the URL is held unless
// one of their vendors is granted. Before any rules exist (async mode, config not here yet) every
// cross-origin URL but the CMP's own is held.
//
// Paths held: src/srcset/href setters and setAttribute of script, img, source, iframe, link;
// markup given to innerHTML, outerHTML, insertAdjacentHTML, createContextualFragment and
// document.write (held attributes renamed data-kelisim-*, scripts typed javascript/blocked); a
// MutationObserver for what the parser inserts (scripts get a blocked type before they run, src,
// srcset and href are taken off images, iframes and links) and for url() in style elements and
// style attributes; CSSOM setProperty, cssText and the image properties, insertRule, replace(Sync);
// fetch, sendBeacon, XMLHttpRequest, EventSource, WebSocket and window.open fail as blocked; an
// inline script that imports a held URL (import() or import … from) is held as a whole.
// Held elements are queued and released when their vendors are granted; what was held again (a
// withdrawal in this tab or another) stays held for new requests.
//
// Consent signals that must come first go here too: Consent Mode v2 "default" (all denied,
// wait_for_update 500), Matomo requireConsent, Clarity consentv2 denied (through its own queue).
((W, D) => {
let SYM = Symbol.for('kelisim.gate');
if (W[SYM]) return;
let S = D.currentScript || {}, L = location, V = navigator,
  N = S.nonce || D.querySelector('script[nonce]')?.nonce || '',
  // bootstrap.js: the vendors' rules, embedded by kelisim/web/banner.py; in /cmp.js null.
  R0 = window.__KELISIM_RULES__,
  R = null, G = {}, OK = {}, Q = [], CQ = [], HOOK = 0,
  // What the gate knows of an element or a request is kept here, not on it: a property on an
  // element or an XMLHttpRequest is visible to the page's code (and to a scanner) as Kelisim's.
  // done: released, activated or made by Kelisim, never looked at again (cmp.js shares it);
  // withheld: the held attributes of an element; ownType: a blocked script's own type; rebuilt: a
  // parsed script, re-created on release, until its copy has loaded; styleText: the text the gate
  // gave a style element; opened: an XMLHttpRequest's URL and async flag.
  done = new WeakSet, withheld = new WeakMap, ownType = new WeakMap, rebuilt = new WeakSet, styleText = new WeakMap, opened = new WeakMap,
  EP = Element.prototype, SA = EP.setAttribute, RA = EP.removeAttribute, GA = EP.getAttribute,
  dl = W.dataLayer = W.dataLayer || [],
  DEN = 'denied', BL = 'javascript/blocked', PX = 'data-kelisim-',
  gtag = function () { dl.push(arguments) },
  norm = h => (h || '').toLowerCase().replace(/\.+$/, ''),
  url = u => { try { return new URL(u, D.baseURI) } catch { return {} } };
gtag('consent', 'default', {ad_storage: DEN, analytics_storage: DEN, ad_user_data: DEN, ad_personalization: DEN, wait_for_update: 500});
(W._paq = W._paq || []).push(['requireConsent']);
(W.clarity = W.clarity || function () { (W.clarity.q = W.clarity.q || []).push(arguments) })('consentv2', {ad_Storage: DEN, analytics_Storage: DEN});

// --- matching -----------------------------------------------------------------------------------
let rules = vs => {
  R = [];
  for (let v of vs) {
    for (let h of [...v.hosts || [], ...v.domains || []]) R.push([norm(h).replace(/^\*?\./, ''), '', v.id]);
    for (let u of v.urls || []) { let i = u.indexOf('/'); R.push([norm(u.slice(0, i)), u.slice(i), v.id]) }
    for (let p of v.paths || []) R.push(['', p, v.id]);
  }
};
// The vendors owning a URL (its most specific rules), [] for none, null for a URL without a host.
let owners = u => {
  let x = url(u), h = norm(x.hostname), best = -1, o = [];
  if (!h) return null;
  for (let [rh, rp, v] of R || []) if ((!rh || h == rh || h.endsWith('.' + rh)) && (!rp || (rh ? x.pathname.startsWith(rp) : x.pathname == rp))) {
    let s = (rp ? 1e4 : 0) + rh.length + rp.length;
    if (s > best) { best = s; o = [] }
    s == best && o.push(v);
  }
  return o;
};
let held = u => {
  if (u == null || u === '') return 0;
  let o = owners(u + '');
  if (!o) return 0;
  if (!R) { let h = norm(url(u).hostname); return h != norm(L.hostname) && !OK[h] }
  return o.length > 0 && !o.some(v => G[v]);
};
// srcset lists several URLs: held when any of them is.
let heldA = (a, v) => a == 'srcset' ? (v + '').split(',').some(c => held(c.trim().split(/\s+/)[0])) : held(v);

// --- elements -----------------------------------------------------------------------------------
// Which attributes of which elements make a request.
let TAGS = {SCRIPT: ['src'], IMG: ['src', 'srcset'], SOURCE: ['src', 'srcset'], IFRAME: ['src'], LINK: ['href']},
  PROTO = {SCRIPT: HTMLScriptElement, IMG: HTMLImageElement, SOURCE: HTMLSourceElement, IFRAME: HTMLIFrameElement, LINK: HTMLLinkElement},
  SET = {},
  wrap = (P, a, f) => {
    let d = Object.getOwnPropertyDescriptor(P, a);
    if (!d?.set) return d?.set;
    Object.defineProperty(P, a, {configurable: true, enumerable: d.enumerable, get: d.get, set(v) { f(this, v) || d.set.call(this, v) }});
    return d.set;
  },
  // The real setter (or setAttribute) for attribute `a`, bypassing the gate.
  put = (e, a, v) => SET[e.tagName]?.[a] ? SET[e.tagName][a].call(e, v) : SA.call(e, a, v),
  queue = e => Q.includes(e) || Q.push(e),
  block = e => { ownType.has(e) || ownType.set(e, GA.call(e, 'type')); SA.call(e, 'type', BL) },
  // Code sets a held URL: withheld (no request), the element queued; a script is typed blocked so
  // it cannot start empty when inserted.
  hold = (e, a, v) => {
    let h = withheld.get(e);
    if (!heldA(a, v)) { h && delete h[a]; return }
    h || withheld.set(e, h = {});
    h[a] = v + '';
    e.tagName == 'SCRIPT' && block(e);
    queue(e);
    return 1;
  },
  typed = (e, v, h = withheld.get(e)) => h && Object.keys(h).length && (ownType.set(e, v), 1);
for (let t in TAGS) {
  SET[t] = {};
  for (let a of TAGS[t]) SET[t][a] = wrap(PROTO[t].prototype, a, (e, v) => hold(e, a, v));
}
wrap(HTMLScriptElement.prototype, 'type', typed);
EP.setAttribute = function (n, v) {
  let a = (n + '').toLowerCase(), t = this.tagName;
  if (TAGS[t]?.includes(a) && hold(this, a, v)) return;
  if (t == 'SCRIPT' && a == 'type' && typed(this, v)) return;
  if (a == 'style' && /url\(/i.test(v)) return css(this, 'a', v + '');
  return SA.apply(this, arguments);
};
// An element that came through the parser or through markup: its held attributes are taken off (or
// were renamed data-kelisim-* by mark()), a script is typed blocked and is re-created on release.
let take = e => {
  let t = e.tagName, h = withheld.get(e) || {}, n = 0;
  if (done.has(e) || !TAGS[t]) return;
  for (let a of TAGS[t]) {
    let m = GA.call(e, PX + a), v = m ?? GA.call(e, a);
    if (v == null || !(m != null || heldA(a, v))) continue;
    h[a] = v; n = 1;
    RA.call(e, m != null ? PX + a : a);
  }
  // mark() typed a held script blocked and kept its own type (if any) as data-kelisim-type.
  if (GA.call(e, PX + 'held') != null && t == 'SCRIPT') { ownType.set(e, GA.call(e, PX + 'type')); RA.call(e, PX + 'type') }
  if (t == 'SCRIPT' && !n && !GA.call(e, 'src')) {
    // A module (or classic) script importing a vendor URL: held as a whole while any such URL is.
    let us = /\bimport\b/.test(e.text) && (e.text.match(/(?:https?:)?\/\/[^\s'"`)]+/g) || []).filter(held), p = e.previousElementSibling;
    if (us.length) { h.__text = us; n = 1 }
    // The inline script right after a held synchronous library ("load it, then call it", as
    // Amplitude's snippet is) waits for that library, and runs after it has loaded.
    else if (rebuilt.has(p) && withheld.get(p)?.src && !p.hasAttribute('async') && !p.hasAttribute('defer')) { h.__dep = p; n = 1 }
  }
  RA.call(e, PX + 'held');
  if (!n) return;
  withheld.set(e, h);
  if (t == 'SCRIPT') { rebuilt.add(e); block(e) }
  queue(e);
};
// A fresh script carrying the page's nonce, with the attributes of `e` copied (not its held ones).
// A page that arrives in network chunks gives the parser a script's text in pieces (a new text node,
// then more data in it), and the observer may first see the script empty or cut short; each piece is
// looked at again, still before the parser runs the script or fetches its imports.
let retake = e => { if (done.has(e) || D.readyState != 'loading') return; delete withheld.get(e)?.__text; take(e) };
let copy = (e, ty) => {
  let f = D.createElement('script');
  for (let a of e.attributes) /^(type|src|data-src|nonce|data-kelisim-.*)$/.test(a.name) || SA.call(f, a.name, a.value);
  ty != null && SA.call(f, 'type', ty);
  done.add(f);
  f.nonce = N;
  return f;
};
let free = e => !Object.entries(withheld.get(e) || {}).some(([a, v]) => a == '__text' ? v.some(held) : a == '__dep' ? rebuilt.has(v) : heldA(a, v));
// A script held on its way in by code keeps its element (and onload) and gets its src now; one the
// parser or markup inserted is replaced by a fresh copy, since a parsed script never runs twice.
let release = e => {
  let h = withheld.get(e), f = e, ty = ownType.get(e);
  withheld.delete(e); done.add(e);
  if (e.tagName == 'SCRIPT') {
    if (rebuilt.has(e)) {
      f = copy(e, ty);
      if (!h.src) f.text = e.text;
      else for (let n of ['load', 'error']) f.addEventListener(n, () => { rebuilt.delete(e); flush() });
    }
    else ty == null ? RA.call(e, 'type') : SA.call(e, 'type', ty);
    f.nonce = N;
  }
  for (let a in h) a[0] == '_' || put(f, a, h[a]);
  f != e && e.replaceWith(f);
};

// --- markup -------------------------------------------------------------------------------------
let TAG = /<(script|img|source|iframe|link)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/gi,
  ATTR = /(\s)(src|srcset|href|type)(\s*=\s*)("[^"]*"|'[^']*'|[^\s"'>]+)/gi,
  ent = s => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#0*39;/g, "'"),
  // HTML with every held src/srcset/href renamed data-kelisim-*, so parsing it makes no request.
  mark = s => typeof s != 'string' || !/(src|srcset|href)\s*=/i.test(s) ? s : s.replace(TAG, (m, tag, at) => {
    let t = tag.toUpperCase(), hit = 0;
    at = at.replace(ATTR, (x, sp, a, eq, q) => {
      let v = ent(q.replace(/^['"]|['"]$/g, '')), b = a.toLowerCase();
      if (b == 'type') return t == 'SCRIPT' ? sp + PX + 'type' + eq + q : x;
      if (!TAGS[t].includes(b) || !heldA(b, v)) return x;
      hit = 1;
      return sp + PX + b + eq + q;
    });
    if (!hit) return m;
    return '<' + tag + at.replace(/\/$/, '') + (t == 'SCRIPT' ? ' type="' + BL + '"' : '') + ' ' + PX + 'held>';
  }),
  adopt = r => r?.querySelectorAll?.('[' + PX + 'held]').forEach(take);
for (let P of [EP, ShadowRoot.prototype]) for (let a of ['innerHTML', 'outerHTML']) {
  let d = Object.getOwnPropertyDescriptor(P, a);
  d?.set && Object.defineProperty(P, a, {configurable: true, enumerable: d.enumerable, get: d.get, set(v) {
    let p = this.parentNode;
    d.set.call(this, mark(v));
    adopt(a == 'outerHTML' ? p : this);
  }});
}
let IAH = EP.insertAdjacentHTML;
EP.insertAdjacentHTML = function (w, s) { IAH.call(this, w, mark(s)); adopt(this.parentNode); adopt(this) };
let CCF = Range.prototype.createContextualFragment;
Range.prototype.createContextualFragment = function (s) { let f = CCF.call(this, mark(s)); adopt(f); return f };
for (let w of ['write', 'writeln']) {
  let o = Document.prototype[w];
  Document.prototype[w] = function (...a) { return o.apply(this, a.map(mark)) };
}

// --- CSS ----------------------------------------------------------------------------------------
// url() and @import of a held URL become none; the original is kept and put back on release.
let unurl = s => s.replace(/url\(\s*(['"]?)(.*?)\1\s*\)/gi, (m, q, u) => held(u) ? 'none' : m).replace(/@import\s+(['"])(.*?)\1/gi, (m, q, u) => held(u) ? '@import none' : m),
  // How each kind of holder gets its CSS text: a (style attribute), s (style element), p
  // (setProperty / a style property), r (a rule inserted into a sheet).
  cput = {a: (e, v) => SA.call(e, 'style', v), s: (e, v) => { styleText.set(e, v); e.textContent = v }},
  css = (e, k, v, ...x) => {
    let u = unurl(v), i = CQ.findIndex(c => c[0] == e && c[1] == k && c[3] + '' == x + '');
    i < 0 ? u != v && CQ.push([e, k, v, x]) : u == v ? CQ.splice(i, 1) : CQ[i][2] = v;
    return cput[k] ? cput[k](e, u) : u;
  },
  styled = e => {
    if (done.has(e)) return;
    let t = e.tagName == 'STYLE' && e.textContent, s = GA.call(e, 'style');
    t && t != styleText.get(e) && unurl(t) != t && css(e, 's', t);
    s && /url\(/i.test(s) && unurl(s) != s && css(e, 'a', s);
  };
let CD = CSSStyleDeclaration.prototype, SP = CD.setProperty;
CD.setProperty = function (p, v, pr) { return SP.call(this, p, /url\(/i.test(v) ? css(this, 'p', v + '', p, pr) : v, pr) };
// Chromium gives camelCase style properties no accessors to wrap (they are named properties), so
// an element's style is handed out behind a Proxy (one per declaration, so it stays ===) that holds
// url() values; cssText and the rest pass through it too.
let SD = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'style'), PM = new WeakMap();
SD?.get && Object.defineProperty(HTMLElement.prototype, 'style', {configurable: true, enumerable: SD.enumerable, set: SD.set, get() {
  let d = SD.get.call(this), p = PM.get(d);
  p || PM.set(d, p = new Proxy(d, {
    get: (t, k) => { let v = Reflect.get(t, k, t); return typeof v == 'function' ? v.bind(t) : v },
    set: (t, k, v) => {
      let u = typeof v == 'string' && /url\(|@import/i.test(v) && unurl(v);
      if (u && u != v) CQ.push([t, 'P', v, [k, function (x) { this[k] = x }]]);
      t[k] = u && u != v ? u : v;
      return true;
    }
  }));
  return p;
}});
let SH = CSSStyleSheet.prototype, IR = SH.insertRule, RP = SH.replace, RS = SH.replaceSync;
SH.insertRule = function (r, i) {
  let u = unurl(r + ''), n = IR.call(this, u, i);
  u != r && CQ.push([this, 'r', r + '', [this.cssRules[n]]]);
  return n;
};
SH.replaceSync = function (t) { let u = unurl(t + ''); u != t && CQ.push([this, 'R', t + '', []]); return RS.call(this, u) };
SH.replace = function (t) { let u = unurl(t + ''); u != t && CQ.push([this, 'R', t + '', []]); return RP.call(this, u) };
// A CSS holder whose URLs are all granted now gets its original text back.
let cflush = () => {
  CQ = CQ.filter(c => {
    let [e, k, v, x] = c, u = unurl(v);
    if (u != v) return 1;
    if (k == 'a' || k == 's') cput[k](e, v);
    else if (k == 'p') SP.call(e, x[0], v, x[1]);
    else if (k == 'P') x[1].call(e, v);
    else if (k == 'R') RS.call(e, v);
    else { let i = [...e.cssRules].indexOf(x[0]); i >= 0 && (e.deleteRule(i), IR.call(e, v, i)) }
  });
};

// --- network ------------------------------------------------------------------------------------
let no = () => new TypeError('kelisim: no consent'), F0 = W.fetch, B0 = V.sendBeacon, WO = W.open,
  XP = XMLHttpRequest.prototype, XO = XP.open, XS = XP.send;
W.fetch = function (r) { return R && held(r?.url ?? r) ? Promise.reject(no()) : F0.apply(this, arguments) };
if (B0) V.sendBeacon = function (u) { return !(R && held(u)) && B0.apply(this, arguments) };
XP.open = function (m, u, a) { opened.set(this, [u, a]); return XO.apply(this, arguments) };
XP.send = function () {
  let [u, a] = opened.get(this) || [];
  if (!R || !held(u)) return XS.apply(this, arguments);
  if (a === false) throw new DOMException('kelisim: no consent', 'NetworkError');
  // As a blocked request ends: error, then loadend, never a request.
  setTimeout(() => { for (let n of ['error', 'loadend']) this.dispatchEvent(new ProgressEvent(n)) });
};
for (let n of ['EventSource', 'WebSocket']) if (W[n]) W[n] = new Proxy(W[n], {construct(t, a, nt) {
  if (R && held(n == 'WebSocket' ? (a[0] + '').replace(/^ws/i, 'http') : a[0])) throw new DOMException('kelisim: no consent', 'SecurityError');
  return Reflect.construct(t, a, nt);
}});
W.open = function (u) { return R && held(u) ? null : WO.apply(this, arguments) };

// --- what the parser and other code insert ------------------------------------------------------
new MutationObserver(ms => {
  for (let m of ms) {
    if (m.type == 'characterData') { m.target.parentNode?.tagName == 'SCRIPT' && retake(m.target.parentNode); continue }
    for (let n of m.addedNodes) {
      if (n.nodeType == 3 && n.parentNode?.tagName == 'SCRIPT') { retake(n.parentNode); continue }
      if (n.nodeType == 3 && n.parentNode?.tagName == 'STYLE') { styled(n.parentNode); continue }
      if (n.nodeType != 1) continue;
      for (let e of [n, ...n.querySelectorAll('script,img,source,iframe,link,style,[style],[data-vendor]')]) {
        if (done.has(e) || withheld.has(e)) continue;
        if (e.hasAttribute('data-vendor')) { HOOK && HOOK(e); continue }
        take(e);
        styled(e);
      }
    }
  }
}).observe(D.documentElement, {childList: true, subtree: true, characterData: true});

// --- for cmp.js ---------------------------------------------------------------------------------
let flush = () => {
  D.querySelectorAll('[' + PX + 'held]').forEach(take);
  Q = Q.filter(e => withheld.has(e) && (!free(e) || release(e)));
  cflush();
};
W[SYM] = {
  N, SET, SA, copy, held, owners, put, done,
  // The vendors' rules (from the config); `allow`: a host never held (the CMP's own).
  rules: vs => { rules(vs); flush() },
  allow: h => { OK[norm(h)] = 1 },
  // The granted vendor ids: held tags of those are released; others stay (or are again) held.
  grant: g => { G = g; flush() },
  // Inert tags (data-vendor) the observer sees go to cmp.js's activation.
  inert: f => { HOOK = f }
};
R0 && rules(R0);
})(window, document);
