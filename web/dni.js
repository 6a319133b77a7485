/*
 * Switchboard Dynamic Number Insertion snippet (docs/CALL-TRACKING.md "Website numbers").
 * Embed on every page:  <script src="https://switchboard.example/dni.js?key=dni_…" async></script>
 * Mark the numbers to swap:  <a href="tel:+14155550100" data-switchboard-number>(415) 555-0100</a>
 * (or class="switchboard-number"; data-switchboard-format="e164" shows +14155550100).
 * It tells Switchboard the visit's utm_source / utm_medium / utm_campaign, click id (gclid,
 * fbclid, msclkid), referrer host and landing page, and shows the number Switchboard assigns;
 * the visitor id Switchboard signs is kept in localStorage for the session.
 */
(function () {
  'use strict';
  var script = document.currentScript || document.querySelector('script[src*="/dni.js"]');
  if (!script || !window.fetch || !window.URLSearchParams) return;
  var src = new URL(script.src, location.href);
  var key = src.searchParams.get('key');
  if (!key) return;
  var endpoint = src.origin + src.pathname.replace(/\/dni\.js$/, '') + '/dni/number';
  var STORE = 'switchboard-dni:' + key;
  var SELECTOR = '[data-switchboard-number], .switchboard-number';

  var load = function () {
    try {
      var s = JSON.parse(localStorage.getItem(STORE) || 'null');
      return s && s.expiresAt && Date.parse(s.expiresAt) > Date.now() ? s : s && s.visitor ? { visitor: s.visitor } : null;
    } catch (e) {
      return null;
    }
  };
  var save = function (s) {
    try { localStorage.setItem(STORE, JSON.stringify(s)); } catch (e) { /* private mode: this page only */ }
  };

  var swap = function (n) {
    if (!n || !n.number) return;
    var els = document.querySelectorAll(SELECTOR);
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var text = el.getAttribute('data-switchboard-format') === 'e164' ? n.number : n.display || n.number;
      if (el.children.length === 0) el.textContent = text;
      var links = [el].concat(Array.prototype.slice.call(el.querySelectorAll('a[href^="tel:"]')));
      var up = el.closest && el.closest('a[href^="tel:"]');
      if (up) links.push(up);
      for (var j = 0; j < links.length; j++) {
        if (links[j].tagName === 'A' && /^tel:/i.test(links[j].getAttribute('href') || '')) links[j].setAttribute('href', 'tel:' + n.number);
      }
      el.setAttribute('data-switchboard-swapped', '');
    }
  };
  var whenReady = function (fn) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fn);
    else fn();
  };

  var saved = load();
  if (saved && saved.number) whenReady(function () { swap(saved); });

  var here = new URLSearchParams(location.search);
  var q = new URLSearchParams({ key: key });
  if (saved && saved.visitor) q.set('visitor', saved.visitor);
  ['utm_source', 'utm_medium', 'utm_campaign', 'gclid', 'fbclid', 'msclkid'].forEach(function (k) {
    var v = here.get(k);
    if (v) q.set(k, v.slice(0, 200));
  });
  try {
    var ref = document.referrer ? new URL(document.referrer).hostname : '';
    if (ref && ref !== location.hostname) q.set('referrer', ref);
  } catch (e) { /* no referrer */ }
  q.set('page', location.origin + location.pathname);

  fetch(endpoint + '?' + q.toString(), { credentials: 'omit', mode: 'cors' })
    .then(function (r) { return r.status === 200 ? r.json() : null; })
    .then(function (n) {
      if (!n) return;
      save({ visitor: n.visitor, number: n.number, display: n.display, expiresAt: n.expiresAt });
      if (n.number) whenReady(function () { swap(n); });
    })
    .catch(function () { /* keep the page's own numbers */ });
})();
