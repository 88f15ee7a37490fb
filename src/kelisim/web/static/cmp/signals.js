// --- consent signals to the vendors -------------------------------------------------------------
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
let dataLayer = W.dataLayer = W.dataLayer || [],
  DENIED = 'denied',
  gtag = function () { dataLayer.push(arguments) },
  mode = x => x ? 'granted' : DENIED,
  // The Consent Mode "update" for the grants `g`: a type is granted when a granted vendor declares
  // it in consent_mode.
  modeUpdate = g => {
    let modes = {ad_storage: 0, ad_user_data: 0, ad_personalization: 0, analytics_storage: 0};
    for (let v of config.vendors) if (g[v.id]) for (let k of v.consent_mode || []) modes[k] = 1;
    for (let k in modes) modes[k] = mode(modes[k]);
    gtag('consent', 'update', modes);
  },
  // Vendors' own consent switches, for the current grants. Called on every applied consent, after
  // the activation chain, and when window.amplitude is assigned: the vendor's code may come later.
  tellVendors = () => {
    for (let v of config?.vendors || []) {
      let x = !!granted[v.id], api = v.consent_api;
      if (api == 'clarity_consentv2') W.clarity?.('consentv2', {ad_Storage: mode(x && serves(v, 'marketing')), analytics_Storage: mode(x)});
      if (api == 'amplitude') amplitude?.setOptOut?.(!x);
    }
  },
  amplitude = W.amplitude;
try { Object.defineProperty(W, 'amplitude', {configurable: true, enumerable: true, get: () => amplitude, set: v => { amplitude = v; stored && tellVendors() }}) } catch {}
