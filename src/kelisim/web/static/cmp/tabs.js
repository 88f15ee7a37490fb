// --- other tabs and places ----------------------------------------------------------------------
// The token is verified again (POST /api/v1/consent/verify) when the tab gets focus or becomes
// visible, and every data-reverify seconds (30 by default) while visible; a choice in one tab
// reaches the others of the site at once (BroadcastChannel, and a storage event as fallback). A
// withdrawal on the receipt page, a block by staff, or a narrower choice elsewhere is applied
// without a reload: the vendors are held again (new requests fail, held tags stay held) and their
// declared first-party cookies and storage are deleted, again on every check while their code,
// already running, could write them back.
let channel, busy, lastCheck = 0,
  // What vendors no longer granted (but run in this page view) stored: deleted on every check.
  clean = () => { let gone = Object.keys(everGranted).filter(v => !granted[v]); gone[0] && purge(gone).catch(noop) },
  sync = () => {
    let token = consentCookie();
    config && clean();
    if (busy || !config || !token && !stored) return;
    busy = 1; lastCheck = Date.now();
    (token ? post('/verify', {token}) : Promise.resolve({valid: false})).then(st => {
      // A new revision is for the next page view to ask about (with the live config, not the
      // one this script came with); it withdraws nothing here.
      st.current_revision > config.revision && session('kelisim:v', null);
      if (st.valid === false ? st.reason == 'stale_revision' : st.revision < (config.consent_revision ?? config.revision)) return;
      if (!st.valid) {
        // Blocked, expired, unknown or forged: no consent from now on.
        token && setCookie('', 0);
        session('kelisim:v', null);
        if (stored) { stored = null; granted = {}; gate.grant(granted); modeUpdate(granted); tellVendors() }
      } else if (st.token != stored?.token || [...st.granted].sort() + '' != Object.keys(granted).sort() + '') {
        keep(st);
        apply(st);
        close();
      }
      clean();
    }, noop).finally(() => { busy = 0 });
  },
  tell = () => {
    try { channel?.postMessage(1) } catch {}
    try { localStorage.setItem('kelisim:sync', Date.now()); localStorage.removeItem('kelisim:sync') } catch {}
  },
  watch = () => {
    try { channel = new BroadcastChannel('kelisim'); channel.onmessage = sync } catch {}
    on(W, 'storage', e => e.key == 'kelisim:sync' && e.newValue && sync());
    // Focus comes often: one check in five seconds is enough for it.
    let soon = () => Date.now() - lastCheck > 5e3 && sync();
    on(W, 'focus', soon);
    on(D, 'visibilitychange', () => D.visibilityState == 'visible' && soon());
    reverifySeconds > 0 && setInterval(() => D.visibilityState == 'visible' && sync(), reverifySeconds * 1e3);
  };
