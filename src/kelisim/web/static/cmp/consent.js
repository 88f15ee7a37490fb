// --- consent state ------------------------------------------------------------------------------
// granted: the ids granted now; everGranted: ids granted at some point of this page view (their
// code may be running); stored: the consent applied; consentId: its id (or the history a new
// choice continues); cookieAtLoad: the consent cookie the page came with; listeners:
// kelisim.on('consent').
let granted = {}, everGranted = {}, stored, consentId, cookieAtLoad, listeners = [],
  setCookie = (v, age) => {
    D.cookie = 'kelisim_consent=' + v + ';Path=/;SameSite=Lax;Max-Age=' + age + (config.cookie_domain ? ';Domain=' + config.cookie_domain : '') + (loc.protocol == 'https:' ? ';Secure' : '');
  },
  keep = j => { setCookie(j.token, config.consent_lifetime_days * 86400); session('kelisim:v', JSON.stringify({...j, at: Date.now()})) },
  get = () => {
    let v = {};
    for (let x of config?.vendors || []) v[x.id] = !!granted[x.id];
    return {decided: !!stored, consent_id: consentId || null, status: stored?.status || null, granted: Object.keys(granted), vendors: v, revision: config?.revision ?? null, expires: stored?.expires || null, gpc: GPC, language: config?.language || null};
  },
  // Apply a stored or new consent: signals first, then held and inert tags, then vendor APIs,
  // events. `still`: the page reloads next, so nothing new is started.
  apply = (st, still) => {
    stored = st; consentId = st.consent_id; granted = {};
    for (let v of st.granted) { granted[v] = 1; still || (everGranted[v] = 1) }
    for (let v of config.vendors) v.consent_api == 'matomo' && W._paq.push([granted[v.id] ? 'setConsentGiven' : 'forgetConsentGiven']);
    modeUpdate(granted);
    gate.grant(still ? {} : granted);
    if (!still) {
      D.querySelectorAll('[data-vendor]').forEach(enqueue);
      tellVendors();
      chain = chain.then(tellVendors).catch(noop);
    }
    let d = get();
    dataLayer.push({event: 'kelisim_consent', kelisim: {status: d.status, granted: d.granted, revision: d.revision}});
    D.dispatchEvent(new CustomEvent('kelisim:consent', {detail: d}));
    for (let f of listeners) try { f(d) } catch (e) { setTimeout(() => { throw e }) }
  },
  // Declared first-party cookies and storage of `ids` deleted, by the settings layer with the full
  // config.
  purge = ids => deep().then(() => settings.p(ids)),
  // Network failures and 5xx are retried with the same body, so with the same event_id.
  post = (path, body, n = 0) => fetchApi(API + '/api/v1/consent' + path, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)})
    .then(r => { if (r.status > 499) throw 0; return r.json().then(j => { if (r.ok) return j; throw j }) })
    .catch(e => {
      if (n > 3 || e !== 0 && !(e instanceof TypeError)) throw e;
      return new Promise(r => setTimeout(r, 300 << n)).then(() => post(path, body, n + 1));
    }),
  choose = (action, choices) => ready.then(() => {
    let b = {site: SITE, revision: config.revision, language: config.language, action, choices, event_id: [...crypto.getRandomValues(new Uint8Array(16))].map(x => (x + 256).toString(16).slice(1)).join(''), gpc: GPC, page: loc.origin + loc.pathname};
    if (consentId && action != 'dismiss') b.consent_id = consentId;
    return post('', b);
  }).then(j => {
    if (action == 'dismiss') return get();
    keep(j);
    // Answered on a banner a material publish has replaced: kept as proof, asked again next view.
    j.holds === false && session('kelisim:v', null);
    let gone = config.vendors.map(v => v.id).filter(v => !j.granted.includes(v)), stop = gone.some(v => everGranted[v]),
      // Deleting needs the full config (fetched first if only the first layer's is here), and is
      // needed only if a refused vendor ran in this page view or the visitor came with a consent
      // cookie (an earlier choice, maybe of an older revision): else nothing of theirs ever ran.
      purged = gone[0] && (stop || cookieAtLoad) && purge(gone).catch(noop);
    close();
    apply(j, stop);
    // Scripts already running cannot be unloaded: reload, and clean again before anything runs.
    if (stop) { session('kelisim:purge', gone.join(' ')); purged.then(() => loc.reload()) }
    tell();
    return get();
  });
