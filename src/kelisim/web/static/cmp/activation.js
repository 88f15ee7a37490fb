// --- activation of inert markup ----------------------------------------------------------------
// Inert tags: <script type="text/plain" data-vendor="id"> (inline, or with data-src/src), and
// <img|iframe data-vendor="id" data-src="…">; data-vendor may list several ids, all must be granted.
// Activation copies each inert script into a fresh element with the page's nonce (strict-dynamic
// trusts only scripts created by a trusted script), in document order; a non-async external one
// is awaited before the next, so "load library, then call it" pairs keep working.
let chain = Promise.resolve(),
  allGranted = ids => (ids || '').split(/\s+/).every(v => granted[v]),
  enqueue = e => { chain = chain.then(() => activate(e)).catch(noop) },
  activate = e => {
    let tag = e.tagName, src = e.getAttribute('data-src') || e.getAttribute('src'), copy;
    if (done.has(e) || !allGranted(e.dataset.vendor)) return;
    done.add(e);
    if (tag != 'SCRIPT') return src && gate.SET[tag] && (gate.put(e, 'src', src), e.removeAttribute('data-src'));
    if (e.type != 'text/plain') return;
    copy = gate.copy(e);
    if (!src) return copy.text = e.text, e.replaceWith(copy);
    gate.put(copy, 'src', src);
    return new Promise(r => {
      on(copy, 'load', r); on(copy, 'error', r);
      e.replaceWith(copy);
      e.hasAttribute('async') && r();
    });
  };
