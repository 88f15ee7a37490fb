// A small Google Tag Manager stand-in for tests: it runs a Community Template's sandboxed code
// (the ___SANDBOXED_JS_FOR_WEB_TEMPLATE___ section of a .tpl) with the sandbox APIs it requires,
// under the permissions its ___WEB_PERMISSIONS___ section declares, and fires container tags on
// data layer events only when their consent checks pass — the parts of GTM's semantics a consent
// template depends on:
// - setDefaultConsentState / updateConsentState / isConsentGranted / addConsentListener keep one
//   consent state per type (update wins over default; a type never set is not granted), each
//   type checked against access_consent; gtag('consent', …) commands in the data layer (Kelisim's
//   own Consent Mode signals) change the same state, as in GTM.
// - callInWindow / copyFromWindow check access_globals (execute / read) and copy values across
//   the boundary (functions do not survive a copy); copyFromDataLayer checks read_data_layer and
//   reads the data layer model as of the event being processed.
// - templateStorage keeps values across runs of the template on one page.
// - The template's code gets no window, document or timers of its own: anything it uses must
//   come through require(), or it throws.
// - A tag fires when one of its trigger events is processed and every consent type it lists
//   ("additional consent checks", plus built-in ones) is granted at that moment; a blocked firing
//   is not retried; "once per page" tags fire at most once.
(function (W) {
  'use strict';

  function sections(text) {
    var out = {}, name = null, lines = [];
    text.split('\n').forEach(function (line) {
      var m = /^___([A-Z_]+)___$/.exec(line);
      if (m) {
        if (name) out[name] = lines.join('\n').trim();
        name = m[1];
        lines = [];
      } else {
        lines.push(line);
      }
    });
    if (name) out[name] = lines.join('\n').trim();
    return out;
  }

  function value(v) {
    if (v.type === 1) return v.string;
    if (v.type === 8) return v.boolean;
    if (v.type === 2) return v.listItem.map(value);
    if (v.type === 3) {
      var o = {};
      v.mapKey.forEach(function (k, i) { o[value(k)] = value(v.mapValue[i]); });
      return o;
    }
    throw new Error('unknown permission value type ' + v.type);
  }

  function readPermissions(json) {
    var perms = {};
    JSON.parse(json).forEach(function (p) {
      var params = {};
      (p.instance.param || []).forEach(function (x) { params[x.key] = value(x.value); });
      perms[p.instance.key.publicId] = params;
    });
    return perms;
  }

  function copy(v, depth) {
    depth = depth || 0;
    if (depth > 20) throw new Error('value too deep to copy');
    if (v === null || typeof v !== 'object') return typeof v === 'function' ? undefined : v;
    if (Array.isArray(v)) return v.map(function (x) { return copy(x, depth + 1); });
    var o = {};
    Object.keys(v).forEach(function (k) {
      var c = copy(v[k], depth + 1);
      if (c !== undefined) o[k] = c;
    });
    return o;
  }

  function pathGet(root, path) {
    return path.split('.').reduce(function (o, k) { return o == null ? undefined : o[k]; }, root);
  }

  function Container(options) {
    var self = this;
    this.log = [];          // what happened, in order, for assertions
    this.fired = [];        // names of tags that fired
    this.blocked = [];      // {tag, event, missing}
    this.defaults = {};
    this.updates = {};
    this.waitForUpdate = null;
    this.listeners = [];
    this.storage = {};
    this.model = {};
    this.currentEvent = null;
    this.tags = options.tags || [];
    this.onceFired = {};
    this.templates = [];
    var dl = W.dataLayer = W.dataLayer || [];
    var queued = dl.slice();
    var push = dl.push;
    dl.push = function () {
      var r = push.apply(dl, arguments);
      for (var i = 0; i < arguments.length; i++) self.process(arguments[i]);
      return r;
    };
    this.dataLayer = dl;
    queued.forEach(function (item) { self.process(item); });
  }

  Container.prototype.state = function (type) {
    if (Object.prototype.hasOwnProperty.call(this.updates, type)) return this.updates[type];
    return this.defaults[type];
  };

  Container.prototype.granted = function (type) {
    return this.state(type) === 'granted';
  };

  Container.prototype.setConsent = function (kind, values) {
    var self = this, changed = [];
    Object.keys(values).forEach(function (type) {
      if (type === 'wait_for_update') {
        if (kind === 'default') self.waitForUpdate = values[type];
        return;
      }
      if (type === 'region') return;
      var v = values[type];
      if (v !== 'granted' && v !== 'denied') throw new Error(type + ': consent must be granted or denied');
      var before = self.granted(type);
      if (kind === 'default') self.defaults[type] = v;
      else self.updates[type] = v;
      if (before !== self.granted(type)) changed.push(type);
    });
    this.log.push(['consent', kind, copy(values)]);
    changed.forEach(function (type) {
      self.listeners.forEach(function (l) { if (l.type === type) l.fn(type, self.granted(type)); });
    });
  };

  Container.prototype.process = function (item) {
    if (item && typeof item === 'object' && !Array.isArray(item) && typeof item.length === 'number' && item[0] === 'consent') {
      // gtag('consent', 'default' | 'update', {...}) pushed as an Arguments object.
      this.setConsent(item[1], item[2]);
      return;
    }
    if (!item || typeof item !== 'object') return;
    var self = this;
    Object.keys(item).forEach(function (k) { if (k !== 'event') self.model[k] = copy(item[k]); });
    if (typeof item.event === 'string') this.fire(item.event, item);
  };

  Container.prototype.fire = function (event, item) {
    var self = this;
    this.currentEvent = item;
    this.log.push(['event', event]);
    this.templates.forEach(function (t) { if (t.triggers.indexOf(event) !== -1) t.run(); });
    this.tags.forEach(function (tag) {
      if (tag.triggers.indexOf(event) === -1) return;
      if (tag.once && self.onceFired[tag.name]) return;
      var missing = (tag.consent || []).filter(function (type) { return !self.granted(type); });
      if (missing.length) {
        self.blocked.push({tag: tag.name, event: event, missing: missing});
        return;
      }
      self.onceFired[tag.name] = true;
      self.fired.push(tag.name);
      if (tag.fire) tag.fire();
    });
    this.currentEvent = null;
  };

  Container.prototype.addTemplate = function (tplText, data, triggers) {
    var self = this;
    var parts = sections(tplText);
    var code = parts.SANDBOXED_JS_FOR_WEB_TEMPLATE;
    if (!code) throw new Error('no ___SANDBOXED_JS_FOR_WEB_TEMPLATE___ section');
    var perms = readPermissions(parts.WEB_PERMISSIONS);
    var storage = {};

    function deny(api, what) { throw new Error('permission denied: ' + api + ' ' + what); }
    function consentAllowed(type, mode) {
      var list = (perms.access_consent || {}).consentTypes || [];
      return list.some(function (c) { return c.consentType === type && c[mode] === true; });
    }
    function globalAllowed(key, mode) {
      var list = (perms.access_globals || {}).keys || [];
      return list.some(function (g) { return g.key === key && g[mode] === true; });
    }
    function checkConsentWrite(api, values) {
      Object.keys(values).forEach(function (type) {
        if (type !== 'wait_for_update' && type !== 'region' && !consentAllowed(type, 'write')) deny(api, type);
      });
    }
    function wrapCallback(fn) {
      return function () {
        var args = Array.prototype.map.call(arguments, function (a) { return copy(a); });
        return fn.apply(null, args);
      };
    }
    var apis = {
      setDefaultConsentState: function (values) {
        checkConsentWrite('setDefaultConsentState', values);
        self.setConsent('default', copy(values));
      },
      updateConsentState: function (values) {
        checkConsentWrite('updateConsentState', values);
        self.setConsent('update', copy(values));
      },
      isConsentGranted: function (type) {
        if (!consentAllowed(type, 'read')) deny('isConsentGranted', type);
        return self.granted(type);
      },
      addConsentListener: function (type, fn) {
        if (!consentAllowed(type, 'read')) deny('addConsentListener', type);
        self.listeners.push({type: type, fn: fn});
      },
      gtagSet: function (values) {
        var keys = ((perms.write_data_layer || {}).keyPatterns) || [];
        Object.keys(values).forEach(function (k) { if (keys.indexOf(k) === -1) deny('gtagSet', k); });
        self.log.push(['set', copy(values)]);
      },
      callInWindow: function (path) {
        if (!globalAllowed(path, 'execute')) deny('callInWindow', path);
        var parts = path.split('.'), name = parts.pop();
        var owner = parts.length ? pathGet(W, parts.join('.')) : W;
        if (!owner || typeof owner[name] !== 'function') return undefined;
        var args = Array.prototype.slice.call(arguments, 1).map(function (a) {
          return typeof a === 'function' ? wrapCallback(a) : copy(a);
        });
        return copy(owner[name].apply(owner, args));
      },
      copyFromWindow: function (path) {
        if (!globalAllowed(path, 'read')) deny('copyFromWindow', path);
        var v = pathGet(W, path);
        return typeof v === 'function' ? undefined : copy(v);
      },
      copyFromDataLayer: function (key) {
        var rd = perms.read_data_layer || {};
        if (rd.allowedKeys !== 'any' && (rd.keyPatterns || []).indexOf(key) === -1) deny('copyFromDataLayer', key);
        return copy(pathGet(self.model, key));
      },
      templateStorage: {
        getItem: function (k) {
          if (!perms.access_template_storage) deny('templateStorage', k);
          return Object.prototype.hasOwnProperty.call(storage, k) ? storage[k] : null;
        },
        setItem: function (k, v) {
          if (!perms.access_template_storage) deny('templateStorage', k);
          storage[k] = copy(v);
        },
        removeItem: function (k) { delete storage[k]; },
        clear: function () { storage = {}; }
      },
      getType: function (v) {
        if (v === null) return 'null';
        if (Array.isArray(v)) return 'array';
        return typeof v;
      },
      logToConsole: function () {
        if (!perms.logging) deny('logToConsole', '');
        self.log.push(['console'].concat(Array.prototype.slice.call(arguments)));
      },
      callLater: function (fn) { W.setTimeout(fn, 0); },
      makeTableMap: function (rows, keyColumn, valueColumn) {
        var map = {};
        (rows || []).forEach(function (r) { map[r[keyColumn]] = r[valueColumn]; });
        return map;
      },
      JSON: {parse: JSON.parse, stringify: JSON.stringify}
    };
    function require(name) {
      if (!Object.prototype.hasOwnProperty.call(apis, name)) throw new Error('unknown sandbox API ' + name);
      return apis[name];
    }
    // The code sees only require and data: window, document, timers and fetch are shadowed.
    var run = new Function(
      'require', 'data', 'window', 'document', 'globalThis', 'self', 'setTimeout', 'fetch',
      'XMLHttpRequest', 'navigator', 'localStorage', code
    );
    var template = {
      triggers: triggers,
      runs: 0,
      run: function () {
        template.runs++;
        var d = copy(data);
        d.gtmOnSuccess = function () { self.log.push(['template', 'success']); };
        d.gtmOnFailure = function () { self.log.push(['template', 'failure']); };
        try {
          run(require, d);
        } catch (e) {
          self.log.push(['template', 'error', String(e && e.message || e)]);
          throw e;
        }
      }
    };
    this.templates.push(template);
    return template;
  };

  Container.prototype.start = function () {
    this.dataLayer.push({event: 'gtm.init_consent'});
    this.dataLayer.push({event: 'gtm.init'});
    this.dataLayer.push({event: 'gtm.js'});
  };

  W.GtmSandbox = {Container: Container, sections: sections};
})(window);
