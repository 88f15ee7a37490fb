// --- the page's hooks and the public API (static/kelisim.d.ts) -----------------------------------
// A link or button with data-kelisim-show opens the banner; a link's href (the /preferences page on
// the CMP host, README) is where it leads without JavaScript.
on(D, 'click', e => { let a = e.target.closest?.('[data-kelisim-show]'); if (a && !e.defaultPrevented) { e.preventDefault(); show() } });
// The current status on <html data-kelisim-status="given|refused|withdrawn">: for the site's own
// styles and for autoconsent's self-test (integrations/autoconsent/kelisim.json).
on(D, 'kelisim:consent', e => setAttr.call(D.documentElement, 'data-kelisim-status', e.detail.status));

W.kelisim = {
  ready, get, show,
  acceptAll: () => choose('accept_all'),
  rejectAll: () => choose('reject_all'),
  withdraw: () => choose('withdraw'),
  set: o => ready.then(() => {
    let choices = get().vendors;
    for (let k in o) {
      if (!(k in choices) || typeof o[k] != 'boolean') throw new TypeError('kelisim.set: ' + k);
      choices[k] = o[k];
    }
    return choose('custom', choices);
  }),
  on: (n, f) => {
    n == 'consent' && listeners.push(f);
    return () => { listeners = listeners.filter(x => x != f) };
  }
};
