/* Service worker: the survey form opens offline after ONE online visit.
   Install precaches the form page and its files, then skipWaiting + clients.claim, so the page that
   registered it is controlled at once. Pages under /surveys/ are network first (fresh villages and
   tokens when there is signal) with the cached copy after 3 s or on failure; static files are cache
   first (kept by path, whatever ?v=<hash> the page adds); the API and every POST go straight to the
   network, so the outbox sees real failures.
   Bump VERSION whenever a precached file changes: a byte-different sw.js is what makes phones
   fetch the new files (or let /sw.js prepend `self.PHUSONG_BUILD = '<hash of those files>';`). */
'use strict';
const VERSION = 'phusong-v2' + (self.PHUSONG_BUILD ? '-' + self.PHUSONG_BUILD : '');
const PAGES = ['/surveys/household'];
const ASSETS = ['/static/css/app.css', '/static/js/xpath.js', '/static/js/form.js',
  '/static/img/icon.svg', '/static/manifest.webmanifest'];
const TIMEOUT = 3000;

self.addEventListener('install', (event) => {
  // One by one and tolerant: a file that fails now is cached by the fetch handler on its next
  // successful load. 'no-cache' revalidates with the server (a 304 costs a few bytes).
  event.waitUntil(caches.open(VERSION).then((cache) => Promise.all(PAGES.concat(ASSETS).map((url) =>
    fetch(url, { credentials: 'same-origin', cache: 'no-cache' }).then((response) => {
      if (response.ok && !response.redirected) return cache.put(url, response);
    }).catch(() => {}))))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('phusong-') && k !== VERSION)
      .map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

function page(event) {
  const url = new URL(event.request.url);
  let saved = null;
  const network = fetch(event.request).then((response) => {
    // Keep the plain page (no ?saved=… banner) when the server gave it; never a login redirect.
    if (response.ok && response.type === 'basic' && !response.redirected && !url.search) {
      const copy = response.clone();
      saved = caches.open(VERSION).then((cache) => cache.put(url.pathname, copy));
    }
    return response;
  });
  event.waitUntil(network.then(() => saved, () => null));
  const cached = () => caches.match(url.pathname);
  return new Promise((resolve) => {
    let done = false;
    const give = (response) => { if (response && !done) { done = true; resolve(response); } };
    const timer = setTimeout(() => cached().then(give), TIMEOUT);  // weak signal: don't keep them waiting
    network.then((response) => {
      clearTimeout(timer);
      if (response.status < 500) return give(response);
      return cached().then((copy) => give(copy || response));  // server trouble: the cached form
    }, () => {
      clearTimeout(timer);
      return cached().then((copy) => give(copy || Response.error()));
    });
  });
}

// Static files are kept under their path: pages ask for /static/css/app.css?v=<content hash>
// and the install step fetched /static/css/app.css. The build stamp covers every stylesheet and
// script, so one cache version never holds two versions of a file.
function asset(request) {
  const key = new URL(request.url).pathname;
  return caches.match(key).then((hit) => hit || fetch(request).then((response) => {
    if (response.ok && response.type === 'basic') {
      const copy = response.clone();
      caches.open(VERSION).then((cache) => cache.put(key, copy));
    }
    return response;
  }));
}

self.addEventListener('fetch', (event) => {
  const request = event.request, url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate' && url.pathname.startsWith('/surveys/')) event.respondWith(page(event));
  else if (url.pathname.startsWith('/static/')) event.respondWith(asset(request));
});
