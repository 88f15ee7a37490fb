// Kelisim's cookie declaration for the lender's privacy page: one <script> from the CMP host that
// renders into <div id="kelisim-declaration"> (or the element data-target names). The data is
// embedded by the server (kelisim/web/declaration.py) on every request, so the page is always current.
// DOM methods only (no innerHTML, no inline style attributes): it runs under a strict nonce CSP,
// and its stylesheet is a <style> carrying the script's own nonce (none: the page styles it).
(function (D, CSS) {
  'use strict';
  var script = document.currentScript;
  var L = D.labels;
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text != null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }
  function items(list) {
    var ul = el('ul');
    list.forEach(function (item) {
      var text = item.name + ' — ' + item.type + (item.domain ? ' (' + item.domain + ')' : '') +
        ', ' + L.lifetime.toLowerCase() + ': ' + item.lifetime;
      var li = el('li', text, item.undeclared ? 'k-undeclared' : null);
      li.setAttribute('data-cookie', item.name);
      if (item.undeclared) li.appendChild(el('span', ' — ' + L.undeclared));
      ul.appendChild(li);
    });
    return ul;
  }
  function render(target) {
    var root = el('section', null, 'kelisim-declaration');
    root.setAttribute('lang', D.language);
    root.appendChild(el('h2', L.title));
    root.appendChild(el('p', L.intro));
    root.appendChild(el('p', L.revision + ' · ' + L.scanned, 'k-meta'));
    var table = el('table');
    var head = el('tr');
    [L.service, L.company, L.country, L.cross_border, L.purposes, L.cookies].forEach(function (h) {
      var th = el('th', h);
      th.setAttribute('scope', 'col');
      head.appendChild(th);
    });
    table.appendChild(el('thead')).appendChild(head);
    var body = table.appendChild(el('tbody'));
    D.vendors.forEach(function (v) {
      var row = el('tr');
      row.setAttribute('data-vendor', v.id);
      var name = el('td');
      if (v.privacy_policy_url && /^https?:\/\//.test(v.privacy_policy_url)) {
        var link = el('a', v.name);
        link.href = v.privacy_policy_url;
        link.rel = 'noopener noreferrer';
        name.appendChild(link);
      } else {
        name.textContent = v.name;
      }
      row.appendChild(name);
      row.appendChild(el('td', v.company));
      row.appendChild(el('td', v.country || '—'));
      row.appendChild(el('td', v.cross_border ? L.yes : L.no));
      row.appendChild(el('td', v.purposes.join(', ')));
      row.appendChild(el('td')).appendChild(items(v.items));
      body.appendChild(row);
    });
    root.appendChild(table);
    if (D.site_cookies.length) {
      root.appendChild(el('h3', L.site_cookies));
      root.appendChild(items(D.site_cookies));
    }
    target.textContent = '';
    target.appendChild(root);
  }
  function start() {
    var selector = (script && script.getAttribute('data-target')) || '#kelisim-declaration';
    var target = document.querySelector(selector);
    if (!target) return;
    var nonce = script && (script.nonce || script.getAttribute('nonce'));
    if (nonce && CSS) {
      var style = el('style', CSS);
      style.nonce = nonce;
      document.head.appendChild(style);
    }
    render(target);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})(__KELISIM_DECLARATION__, __KELISIM_DECLARATION_CSS__);
