// Every script-driven insertion path, each with a vendor URL in one of the host variants (vk.ru,
// Metrica's jsDelivr mirror, a Clarity letter host, GA4 on www.google.com, a trailing dot,
// capitals). tests/browser/test_autoblock.py runs this on /paths, before and after a grant.
(() => { window.__net = async () => {
    const out = {};
    try { await fetch('http://vk.ru/f?via=fetch', {mode: 'no-cors'}); out.fetch = 'sent' } catch { out.fetch = 'held' }
    out.beacon = navigator.sendBeacon('http://x.clarity.ms/collect?via=beacon', 'x') ? 'sent' : 'held';
    out.xhr = await new Promise(r => { const x = new XMLHttpRequest(); x.open('POST', 'http://www.google.com/g/collect?via=xhr');
        x.onerror = () => r('failed'); x.onload = () => r('sent'); x.send('x') });
    try { window.__es = new EventSource('http://vk.ru/es?via=eventsource'); out.eventsource = 'sent' } catch { out.eventsource = 'held' }
    try { new WebSocket('ws://vk.ru/ws?via=websocket').close(); out.websocket = 'sent' } catch { out.websocket = 'held' }
    out.open = window.open('http://vk.ru/w?via=open') ? 'sent' : 'held';
    return out;
} })();
window.__fire = () => {
    const n = document.querySelector('script[nonce]').nonce, b = document.body, box = () => {
        const d = document.createElement('div'); d.style.width = '20px'; d.style.height = '20px';
        b.append(d); return d;
    };
    new Image().src = 'http://vk.ru/rtrg?via=image';
    const s = document.createElement('script'); s.src = 'http://mc.yandex.ru./metrika/tag.js?via=script'; b.append(s);
    const t = document.createElement('script'); b.append(t); t.setAttribute('src', 'http://MC.Yandex.RU/metrika/tag.js?via=setattr');
    const f = document.createElement('iframe'); f.src = 'http://x.clarity.ms/frame.html?via=iframe'; b.append(f);
    const i = document.createElement('img'); i.srcset = 'http://x.clarity.ms/a.gif?via=srcset 1x'; b.append(i);
    const p = document.createElement('picture'), so = document.createElement('source'), pi = document.createElement('img');
    so.setAttribute('srcset', 'http://vk.ru/s.gif?via=source'); p.append(so, pi); b.append(p);
    for (const [rel, url, as] of [
        ['preload', 'http://cdn.jsdelivr.net/npm/yandex-metrica-watch/p.gif?via=preload', 'image'],
        ['prefetch', 'http://www.google.com/g/collect?via=prefetch'],
        ['modulepreload', 'http://vk.ru/m.js?via=modulepreload'],
        ['stylesheet', 'http://x.clarity.ms/s.css?via=stylesheet'],
    ]) {
        const l = document.createElement('link'); l.rel = rel; l.nonce = n; if (as) l.as = as;
        l.href = url; document.head.append(l);
    }
    const d = document.createElement('div'); d.innerHTML = '<img src="http://www.google.com/g/collect?via=innerhtml">';
    window.__detached = d;
    const ss = document.createElement('div'); b.append(ss);
    ss.innerHTML = '<img alt="" srcset="http://vk.ru/ss.gif?via=innerhtml-srcset 1x">';
    const o = document.createElement('span'); b.append(o); o.outerHTML = '<img src="http://vk.ru/o.gif?via=outerhtml">';
    b.insertAdjacentHTML('beforeend', '<img src="http://x.clarity.ms/i.gif?via=adjacent">');
    b.append(document.createRange().createContextualFragment(
        '<img src="http://vk.ru/f.gif?via=fragment"><script src="http://mc.yandex.ru/metrika/tag.js?via=fragment-script"></scr' + 'ipt>'));
    box().style.backgroundImage = 'url(http://x.clarity.ms/bg1.gif?via=style-prop)';
    box().style.setProperty('background-image', 'url("http://vk.ru/bg2.gif?via=setproperty")');
    box().style.cssText = 'width:20px;height:20px;background:url(http://www.google.com/g/collect?via=csstext)';
    box().className = 'ruled';
    document.styleSheets[0].insertRule('.ruled{background-image:url(http://cdn.jsdelivr.net/npm/yandex-metrica-watch/bg.gif?via=insertrule)}');
    return window.__net();
};
