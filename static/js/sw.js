/* Service worker: the survey form opens offline after one online visit.
   Pages under /surveys/ are network-first (fresh villages and tokens when there is signal) with the
   cached copy as the fallback; static files come from the cache and refresh behind; the API is never cached, so the outbox
   sees real failures and retries. Bump VERSION when the precached files change. */
'use strict';
var VERSION = 'phusong-v1';
var PRECACHE = ['/surveys/household', '/static/css/app.css', '/static/js/xpath.js',
  '/static/js/form.js', '/static/img/icon.svg', '/static/manifest.webmanifest'];

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(VERSION).then(function (cache) {
    // One by one and tolerant: a missing optional file must not cost the offline form.
    return Promise.all(PRECACHE.map(function (url) {
      return fetch(url, { credentials: 'same-origin' }).then(function (r) {
        if (r.ok && !r.redirected) return cache.put(url, r);
      }).catch(function () {});
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== VERSION; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function networkFirst(request) {
  return new Promise(function (resolve) {
    var settled = false;
    function fallback() {
      if (settled) return;
      caches.match(request, { ignoreSearch: true }).then(function (cached) {
        if (cached && !settled) { settled = true; resolve(cached); }
      });
    }
    var timer = setTimeout(fallback, 3000);
    fetch(request).then(function (response) {
      clearTimeout(timer);
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(VERSION).then(function (cache) { cache.put(request.url.split('?')[0], copy); });
      }
      if (!settled) { settled = true; resolve(response); }
    }, function () {
      clearTimeout(timer);
      caches.match(request, { ignoreSearch: true }).then(function (cached) {
        if (!settled) { settled = true; resolve(cached || Response.error()); }
      });
    });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.indexOf('/api/') === 0) return;
  if (request.mode === 'navigate' && url.pathname.indexOf('/surveys/') === 0) {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.indexOf('/static/') === 0) {
    // Stale-while-revalidate: instant from the cache, refreshed behind (a 304 when unchanged).
    event.respondWith(caches.match(request, { ignoreSearch: true }).then(function (cached) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          caches.open(VERSION).then(function (cache) { cache.put(url.pathname, copy); });
        }
        return response;
      });
      if (cached) { event.waitUntil(fresh.catch(function () {})); return cached; }
      return fresh;
    }));
  }
});
