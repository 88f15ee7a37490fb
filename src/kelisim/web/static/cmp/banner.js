// --- banner -------------------------------------------------------------------------------------
// dismissed: closed without a choice (recorded once); root, dialog: the open banner; focusBefore:
// what had focus before it opened; toggles: the second layer's choices; floatingButton: the
// "cookie settings" button; sheet: the banner's stylesheet; settings, settingsLoading: the settings
// layer (static/cmp-settings.js) and its load; settingsVersion: its version (banner.py), so its URL
// is cached for a year.
let dismissed, root, dialog, focusBefore, toggles, floatingButton, sheet, settings, settingsLoading,
  settingsVersion = window.__KELISIM_SETTINGS__,
  text = k => texts[k] || k,
  // The banner is built after the page's first paint (the frame after the body exists, or at
  // once if the page has painted content), so its style and layout never delay the page's first
  // contentful paint; a hidden tab paints nothing and shows the banner when it is looked at.
  afterPaint = f => {
    let paint = () => performance.getEntriesByName('first-contentful-paint')[0] ? f() : requestAnimationFrame(() => setTimeout(f));
    D.body ? paint() : on(D, 'DOMContentLoaded', paint);
  },
  el = (name, cls, content, parent) => {
    let e = D.createElement(name);
    if (cls) e.className = cls;
    if (content) e.textContent = content;
    parent?.append(e);
    return e;
  },
  // `action`: the button's data-kelisim-action, a documented hook (README) for tools that answer
  // banners for the visitor, such as DuckDuckGo's autoconsent (integrations/autoconsent/).
  button = (parent, content, f, cls, action) => { let b = el('button', cls, content, parent); b.type = 'button'; on(b, 'click', f); action && setAttr.call(b, 'data-kelisim-action', action); return b },
  link = (parent, href, content) => { if (/^https?:/i.test(href)) { let a = el('a', 0, content, parent); a.href = href; a.target = '_blank'; a.rel = 'noopener' } },
  addStyle = () => {
    if (sheet) return;
    // KELISIM_MIN is defined true by scripts/build-cmp (cmp.css is inlined there): this goes.
    let raw = typeof KELISIM_MIN == 'undefined', s = el(raw ? 'link' : 'style', 0, raw ? null : CSS);
    if (raw) { s.rel = 'stylesheet'; s.href = API + '/cmp.css' }
    s.nonce = gate.N;
    D.head.append(sheet = s);
  },
  // The settings layer: loaded once, on first use, with the page's nonce. It gets the helpers it
  // shares.
  settingsLayer = () => settingsLoading ||= new Promise((resolve, reject) => {
    let e = el('script');
    e.onload = resolve;
    e.onerror = () => { settingsLoading = 0; reject() };
    e.nonce = gate.N; done.add(e);
    gate.put(e, 'src', API + '/cmp-settings.js' + (settingsVersion || ''));
    D.head.append(e);
  }).then(() => settings = W[Symbol.for('kelisim.settings')]({e: el, b: button, l: link, t: text, p: pick, o: on, a: setAttr, h: serves, n: gate.N, x: () => [config, granted, stored, consentId, GPC, API]})),
  // The second layer and deleting need both the full config and the settings layer.
  deep = () => Promise.all([fullConfig(), settingsLayer()]),
  // Appearance from the catalogue on the dialog's root and the floating button: light, dark or
  // the visitor's scheme (auto), colours as custom properties (the CSSOM is not inline style, so a
  // nonce-only style-src allows it).
  look = (e, cls) => {
    let ap = config.appearance || {}, dark = ap.theme == 'dark' || ap.theme == 'auto' && W.matchMedia?.('(prefers-color-scheme: dark)').matches;
    e.className = cls + (dark ? ' k-dark' : '');
    for (let [k, v] of Object.entries(ap.colors?.[dark ? 'dark' : 'light'] || {})) e.style.setProperty('--k' + {background: 'b', text: 't', accent: 'a', accent_text: 'o'}[k], v);
  },
  // The dialog is a column: a header (logo, title, language, close) and an action bar that never
  // scroll, and between them the only scrolling part, shadowed at an edge with more to read. So
  // Accept all, Reject all and Settings (or Save) stay in view on any screen from 320x320 up.
  // `second`: the settings layer; `refocus`: back to the language picker (a language changed).
  open = (second, refocus) => {
    let head, picker, shut, middle, about, bar, wasOpen = root, ap = config.appearance || {};
    // The second layer needs the full config; a dialog closed meanwhile stays closed.
    if (second && (config.detail || !settings)) return deep().then(() => (!wasOpen || root) && open(second, refocus), noop);
    addStyle();
    if (!root) {
      focusBefore = D.activeElement;
      // Built detached and attached once below: one insertion for the page's observers and styles.
      root = el('div'); root.id = 'kelisim';
      dialog = el('div', 'k-d', 0, root);
      for (let [k, v] of [['role', 'dialog'], ['aria-modal', 'true'], ['aria-labelledby', 'k-t'], ['aria-describedby', 'k-x'], ['tabindex', '-1']]) setAttr.call(dialog, k, v);
      // Added once (the same listener twice is one), idle while no dialog is open.
      on(D, 'keydown', onKey, true);
      on(D, 'focusin', trap, true);
    }
    look(root, 'k-' + (ap.position || 'bar'));
    dialog.textContent = ''; dialog.lang = config.language;
    head = el('div', 'k-h', 0, dialog);
    if (/^https:\/\//i.test(ap.logo_url)) { let i = el('img', 'k-l', 0, head); i.alt = ''; i.src = ap.logo_url }
    el('h2', 0, text('title'), head).id = 'k-t';
    if (config.languages[1]) {
      picker = el('select', 0, 0, head); setAttr.call(picker, 'aria-label', text('language'));
      for (let l of config.languages) { let option = el('option', 0, {ru: 'Русский', kk: 'Қазақша', en: 'English'}[l] || l, picker); option.value = l; option.selected = l == config.language }
      on(picker, 'change', () => { session('kelisim:lang', picker.value); fetchConfig(picker.value, second).then(c => { useConfig(c); open(second, 1); floating() }, noop) });
    }
    shut = button(head, '×', dismiss, 'k-c', 'close'); setAttr.call(shut, 'aria-label', text('close'));
    middle = el('div', 'k-y', 0, dialog);
    about = el('p', 0, text('description') + ' ', middle); about.id = 'k-x';
    link(about, config.operator?.privacy_policy_url, text('policy_link'));
    if (second) toggles = settings.l(middle, toggles);
    bar = el('div', 'k-b', 0, dialog);
    button(bar, text('accept_all'), () => pick('accept_all'), 0, 'accept-all');
    button(bar, text('reject_all'), () => pick('reject_all'), 0, 'reject-all');
    second ? button(bar, text('save'), () => pick('custom', toggles), 0, 'save') : button(bar, text('settings'), () => open(1), 0, 'settings');
    wasOpen || D.body.append(root);
    if (floatingButton) floatingButton.hidden = 1;
    (refocus && picker || dialog).focus();
  },
  pick = (action, choices) => {
    let buttons = dialog.querySelectorAll('button');
    buttons.forEach(b => b.disabled = 1);
    choose(action, choices).catch(() => {
      buttons.forEach(b => b.disabled = 0);
      root && !dialog.querySelector('.k-e') && setAttr.call(el('p', 'k-e', text('save_error'), dialog.querySelector('.k-y')), 'role', 'alert');
    });
  },
  // Closing is not consent: recorded once as "dismiss" when there is no choice yet, never stored.
  dismiss = () => {
    if (!stored && !dismissed) { dismissed = 1; choose('dismiss').catch(noop) }
    close();
  },
  close = () => {
    if (!root) return;
    root.remove(); root = toggles = 0;
    floating();
    focusBefore?.focus?.();
  },
  trap = e => root && !dialog.contains(e.target) && dialog.focus(),
  onKey = e => {
    if (!root) return;
    if (e.key == 'Escape') { e.preventDefault(); dismiss() }
    if (e.key != 'Tab') return;
    let f = [...dialog.querySelectorAll('button,select,input,a,summary')].filter(x => !x.disabled && x.getClientRects().length), a = D.activeElement, z = f[f.length - 1];
    if (e.shiftKey ? a == f[0] || a == dialog : a == z) { e.preventDefault(); (e.shiftKey ? z : f[0]).focus() }
  },
  floating = () => {
    if (attrs.floatingButton == 'false' || !config) return;
    if (!floatingButton) { floatingButton = button(D.body, '', () => show()); floatingButton.id = 'kelisim-f'; addStyle() }
    look(floatingButton, '');
    floatingButton.textContent = text('change_settings');
    floatingButton.hidden = !!root;
  },
  show = second => ready.then(() => afterPaint(() => open(second ?? !!stored)));
