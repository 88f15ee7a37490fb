// Kelisim Consent Mode — the sandboxed code of the Google Tag Manager template (template.tpl is
// built from this file by scripts/build-gtm-template; edit here, then rebuild).
//
// Fire the tag on "Consent Initialization - All Pages" and on the Custom Event "kelisim_consent".
// 1. Defaults, once per page: every Google consent type and one type per Kelisim vendor
//    (kelisim_<vendor id>) denied, with wait_for_update.
// 2. Kelisim's choice, whenever it is known: from the kelisim_consent event's data layer value, or
//    window.kelisim.get() when Kelisim decided before this tag ran; and window.kelisim.on('consent')
//    for every later change. kelisim_<id> is granted exactly when Kelisim granted that vendor; a
//    Google type is granted only when a vendor mapped to it is (analytics_storage: Google Analytics
//    by default; granting Google Tag Manager alone grants nothing but kelisim_google_tag_manager).
// Container tags then name their vendor's type under "Additional consent checks".
const setDefaultConsentState = require('setDefaultConsentState');
const updateConsentState = require('updateConsentState');
const gtagSet = require('gtagSet');
const callInWindow = require('callInWindow');
const copyFromWindow = require('copyFromWindow');
const copyFromDataLayer = require('copyFromDataLayer');
const templateStorage = require('templateStorage');
const getType = require('getType');
const logToConsole = require('logToConsole');

const VENDORS = __KELISIM_VENDORS__;
const PREFIX = 'kelisim_';
const GOOGLE_TYPES = ['ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization'];

function debug(message) {
  if (data.debug) logToConsole('Kelisim GTM: ' + message);
}

function splitIds(text) {
  const ids = [];
  const parts = (text || '').split(',');
  for (let i = 0; i < parts.length; i++) {
    const id = parts[i].trim();
    if (id) ids.push(id);
  }
  return ids;
}

// Google consent type -> the Kelisim vendor ids that grant it (the template's table).
function googleMapping() {
  const mapping = {};
  const rows = data.googleMapping || [];
  for (let i = 0; i < rows.length; i++) {
    mapping[rows[i].consentType] = splitIds(rows[i].vendors);
  }
  return mapping;
}

function setDefaults() {
  if (templateStorage.getItem('defaults')) return;
  const defaults = {wait_for_update: data.waitForUpdate || 500};
  for (let i = 0; i < GOOGLE_TYPES.length; i++) defaults[GOOGLE_TYPES[i]] = 'denied';
  for (let i = 0; i < VENDORS.length; i++) defaults[PREFIX + VENDORS[i]] = 'denied';
  setDefaultConsentState(defaults);
  gtagSet({ads_data_redaction: true});
  templateStorage.setItem('defaults', true);
  debug('defaults set: every type denied');
}

function apply(granted) {
  if (getType(granted) !== 'array') return;
  const isGranted = {};
  for (let i = 0; i < granted.length; i++) isGranted[granted[i]] = true;
  const update = {};
  for (let i = 0; i < VENDORS.length; i++) {
    update[PREFIX + VENDORS[i]] = isGranted[VENDORS[i]] ? 'granted' : 'denied';
  }
  const mapping = googleMapping();
  for (let i = 0; i < GOOGLE_TYPES.length; i++) {
    const vendors = mapping[GOOGLE_TYPES[i]] || [];
    let on = false;
    for (let j = 0; j < vendors.length; j++) on = on || isGranted[vendors[j]] === true;
    update[GOOGLE_TYPES[i]] = on ? 'granted' : 'denied';
  }
  updateConsentState(update);
  debug('update: ' + granted.join(', '));
}

setDefaults();
const fromEvent = copyFromDataLayer('kelisim');
if (fromEvent && getType(fromEvent.granted) === 'array') {
  apply(fromEvent.granted);
} else if (copyFromWindow('kelisim')) {
  const state = callInWindow('kelisim.get');
  if (state && state.decided) apply(state.granted);
}
if (!templateStorage.getItem('listening') && copyFromWindow('kelisim')) {
  callInWindow('kelisim.on', 'consent', function (state) {
    if (state) apply(state.granted);
  });
  templateStorage.setItem('listening', true);
}
data.gtmOnSuccess();
