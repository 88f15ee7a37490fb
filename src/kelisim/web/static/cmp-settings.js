/*! Kelisim consent runtime: the settings layer */
// The second layer of the banner (purposes and vendors with their toggles, what each vendor stores
// and for how long) and the deletion of a refused vendor's cookies and storage: what a visitor who
// only answers the first layer never needs. cmp.js loads it as /cmp-settings.js (banner.py serves
// cmp-settings.min.js: this file minified, cmp-settings.css inlined) with the page's nonce, once,
// when Settings opens or before it deletes; it registers itself under the symbol
// kelisim.settings and is handed cmp.js's helpers (`k`). It adds no global of its own and knows
// no language: every text is the full config's. Same compact style as cmp.js (comments on their
// own lines, nothing split over lines).
((W, D) => {
W[Symbol.for('kelisim.settings')] = k => {
let {e: el, b: btn, l: link, t, p: pick, o: on, a: SA, h: has, x: now} = k, L = location,
  // banner.py puts cmp-settings.css here.
  CSS = "__KELISIM_CSS__",
  s = el('style', 0, CSS);
s.nonce = k.n;
D.head.append(s);

// Numbers and region names in the banner's language.
let intl = (n, o, x) => { try { return new Intl[n](now()[0].language, o)[o.type ? 'of' : 'format'](x) } catch { return x } },
  life = s => {
    if (s == null) return t('session');
    let [n, u] = [[31536e3, 'year'], [86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']].find(x => s >= x[0]) || [1, 'second'];
    return intl('NumberFormat', {style: 'unit', unit: u, unitDisplay: 'long', maximumFractionDigits: 1}, s / n);
  },
  list = (a, n) => (a || []).map(x => x[n] + (x.match == 'prefix' ? '*' : '') + ' (' + (n == 'key' ? x.kind : x.lifetime_text || (x.lifetime_known === false ? t('lifetime_unknown') : life(x.lifetime_seconds))) + ')').join(', ') || '—',
  // One vendor: its toggle, company, country, cross-border flag; what it stores behind a disclosure.
  vendor = (v, p, TG, upd) => {
    let w = el('div', 'k-v', 0, p), lb = el('label', 0, 0, w), b = el('input', 0, 0, lb), ds = el('details'), dd;
    b.type = 'checkbox'; b.value = v.id; b.checked = !!TG[v.id];
    on(b, 'change', () => { TG[v.id] = b.checked; upd() });
    el('span', 0, v.name, lb);
    el('p', 'k-m', [v.company, v.country_name || (v.country ? intl('DisplayNames', {type: 'region'}, v.country) : t('country_unknown')), t(v.data_leaves_kz ? 'data_leaves_kz' : 'data_stays_kz')].join(' · '), w);
    w.append(ds);
    el('summary', 0, t('stores'), ds);
    el('p', 0, v.description, ds);
    dd = el('dl', 0, 0, ds);
    for (let [n, x] of [['cookies', list(v.cookies, 'name')], ['storage', list(v.storage, 'key')]]) { el('dt', 0, t(n), dd); el('dd', 0, x, dd) }
    v.has_unknowns && el('p', 0, t('unknown_facts'), ds);
    link(ds, v.privacy_policy_url, t('vendor_policy_link'));
    return b;
  };

return {
  // The second layer into the dialog's scrolling part `y`; `TG` the toggles so far (kept across a
  // language switch), returned.
  l: (y, TG) => {
    let [C, G, ST, CID, GPC, API] = now(), sc;
    // Nothing is pre-ticked but the current choice; Global Privacy Control turns marketing off.
    if (!TG) { TG = {}; for (let v of C.vendors) TG[v.id] = !!G[v.id] && !(GPC && has(v, 'marketing')) }
    sc = el('div', 'k-p', 0, y);
    GPC && el('p', 'k-g', t('gpc_notice'), sc);
    // Once a choice is recorded, its receipt (withdrawal, subject requests) is one click away.
    CID && link(el('p', 'k-rc', 0, sc), API + '/consent/' + CID + '?lang=' + C.language, t('receipt_title'));
    // Each purpose is one line (its toggle and a disclosure button); its description and vendors
    // open under it, so the list is short until the visitor asks for more.
    for (let p of C.purposes) {
      let sec = el('section', 'k-s', 0, sc), rw = el('div', 'k-r', 0, sec), lb = el('label', 0, 0, rw), cb = el('input', 0, 0, lb), r = p.required,
        nm = el('span', 0, p.name + (r ? ' — ' + t('always_on') : ''), lb), pn = el('div', 0, 0, sec),
        upd = () => { let n = bs.filter(b => b.checked).length; cb.checked = r || n > 0 && n == bs.length; cb.indeterminate = !r && n > 0 && n < bs.length },
        bs, tg;
      cb.type = 'checkbox'; cb.disabled = r;
      el('p', 'k-m', p.description, pn);
      bs = C.vendors.filter(v => v.purposes[0] == p.id).map(v => vendor(v, pn, TG, upd));
      if (bs[0]) {
        nm.id = pn.id = 'k-' + p.id; pn.id += '-n'; pn.hidden = 1;
        tg = btn(rw, t('vendors_heading') + ' (' + bs.length + ')', () => { pn.hidden = !pn.hidden; SA.call(tg, 'aria-expanded', !pn.hidden) }, 'k-o');
        for (let [n, v] of [['aria-expanded', 'false'], ['aria-controls', pn.id], ['aria-describedby', nm.id]]) SA.call(tg, n, v);
      }
      on(cb, 'change', () => { for (let b of bs) TG[b.value] = b.checked = cb.checked; upd() });
      upd();
    }
    ST?.status == 'given' && btn(el('div', 'k-w', 0, y), t('withdraw'), () => pick('withdraw'));
    return TG;
  },
  // Declared first-party cookies (on the host and every parent domain) and storage of `ids`.
  p: ids => {
    let hs = L.hostname.split('.'), dm = [''], I = W.indexedDB,
      names = D.cookie.split(/;\s*/).map(c => c.split('=')[0]),
      m = (p, n, x) => n == 'prefix' ? x.startsWith(p) : x == p;
    hs.forEach((x, i) => i < hs.length - 1 && dm.push(';Domain=' + hs.slice(i).join('.')));
    for (let v of now()[0].vendors) if (ids.includes(v.id)) {
      for (let c of v.cookies || []) if (c.party != 'third') for (let n of names) if (m(c.name, c.match, n)) for (let d of dm) D.cookie = n + '=;Max-Age=0;Path=/' + d;
      for (let s of v.storage || []) try {
        if (s.kind != 'indexeddb') { let st = W[s.kind + 'Storage']; for (let n of Object.keys(st)) m(s.key, s.match, n) && st.removeItem(n) }
        else if (s.match != 'prefix') I.deleteDatabase(s.key);
        else I.databases().then(l => { for (let d of l) m(s.key, 'prefix', d.name) && I.deleteDatabase(d.name) }, () => {});
      } catch {}
    }
  }
};
};
})(window, document);
