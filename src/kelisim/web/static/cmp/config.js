// --- config and start ---------------------------------------------------------------------------
// kelisim/web/banner.py serves the built runtime (scripts/build-cmp: these parts minified, cmp.css
// inlined) with the lean first-layer config of the URL's site and language in place of the
// __KELISIM_CONFIG__ global, so the banner needs no second request. It is used when its site is
// data-site and its language the page's (html lang, then navigator.languages); otherwise, or when
// the runtime is served unbuilt, /api/v1/config?detail=banner is fetched. The second layer's
// details (descriptions, company, country, what each vendor stores) come from the full
// /api/v1/config when Settings opens, and before declared cookies and storage are deleted; the
// code that shows them and deletes (static/cmp-settings.js, served as /cmp-settings.js) is loaded
// then too, so a visitor who answers the first layer downloads neither.
// config: the config in use; texts: its texts; fullLoading: the full config on its way; noCache:
// past the HTTP cache (revalidated), once the cached copy is known to be older than live.
let config, texts = {}, fullLoading, noCache,
  languages = () => [session('kelisim:lang'), D.documentElement.lang, ...nav.languages || []].filter(Boolean).map(l => (l = l.toLowerCase().split('-')[0]) == 'kz' ? 'kk' : l),
  // `full`: the full config; else the first layer's. An unknown language falls back to the
  // server's pick.
  fetchConfig = (lang, full, fresh = noCache) => fetchApi(API + '/api/v1/config?site=' + encodeURIComponent(SITE) + (lang ? '&lang=' + lang : '') + (full ? '' : '&detail=banner'), fresh && {cache: 'no-cache'}).then(r => {
    if (r.ok) return r.json();
    if (lang) return fetchConfig(0, full, fresh);
    throw r;
  }),
  // The config in the visitor's language: the first known one of languages(), else what the
  // server chose.
  inLanguage = c => { let b = languages().find(l => c.languages.includes(l)); return b && b != c.language ? fetchConfig(b) : c },
  fullConfig = () => config.detail ? fullLoading ||= fetchConfig(config.language, 1).then(useConfig, e => { fullLoading = 0; throw e }) : Promise.resolve(),
  useConfig = c => {
    config = c; fullLoading = 0; texts = c.texts || {};
    gate.rules(c.vendors);
  },
  // A verified result is cached in sessionStorage with its token: a normal page view asks nothing.
  verify = token => {
    let c;
    if (!(cookieAtLoad = token)) return;
    try { c = JSON.parse(session('kelisim:v')) } catch {}
    return c?.token == token && (reverifySeconds <= 0 || Date.now() - c.at < reverifySeconds * 1e3) ? c : post('/verify', {token}).then(j => (j.was = token, j), noop);
  },
  consentCookie = () => D.cookie.match(/(?:^|;\s*)kelisim_consent=([^;]*)/)?.[1],
  embedded = window.__KELISIM_CONFIG__;
embedded?.site == SITE && gate.rules(embedded.vendors);
let domReady = () => new Promise(r => D.readyState == 'loading' ? on(D, 'DOMContentLoaded', r) : r()),
  ready = Promise.all([embedded?.site == SITE ? embedded : fetchConfig(languages()[0]), verify(consentCookie())]).then(async ([c, st]) => {
    let toPurge = session('kelisim:purge');
    useConfig(await inLanguage(c));
    // This script (and the config in it) is older than the live revision: load the live one.
    st?.current_revision > config.revision && useConfig(await fetchConfig(config.language, 0, noCache = 1).catch(() => config));
    if (toPurge) { session('kelisim:purge', null); purge(toPurge.split(' ')).catch(noop) }
    if (st?.valid === false) {
      // Tampered, foreign or expired: no consent. A stale or expired one still names its history.
      if (/stale|expired/.test(st.reason)) try { consentId = JSON.parse(atob(st.was.split('.')[0].replace(/-/g, '+').replace(/_/g, '/'))).c } catch {}
      setCookie('', 0);
    } else if (!st || st.revision < (config.consent_revision ?? config.revision) || Date.parse(st.expires) < Date.now()) consentId = st?.consent_id;
    else {
      st.was && keep(st);
      // The page's own Consent Mode "default" (in its head) comes first, then this update.
      await domReady();
      apply(st);
    }
    stored || gate.grant({});
    afterPaint(() => stored ? floating() : open());
    watch();
    return get();
  });
ready.catch(noop);
