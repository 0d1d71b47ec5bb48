/* Survey form, progressively enhanced: rules as you type, GPS, and an offline outbox.
   Without this script the form is a plain POST. With it, a submission goes first into IndexedDB
   (it survives reloads, restarts and days without signal), then to the API; the server treats a
   resend of the same instance_id as a replay, so retrying is always safe. */
(function () {
  'use strict';
  var form = document.getElementById('survey-form');
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js', { scope: '/' });
  if (!form || !window.PhusongXPath) return;

  var X = window.PhusongXPath;
  var text = document.getElementById('i18n').dataset;
  var outboxEl = document.getElementById('outbox');
  var gps = document.getElementById('gps');
  var village = form.elements.village;
  var submitButton = document.getElementById('submit');
  var state = { syncing: false, login: false, sent: null, timer: null };

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return values[k]; });
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  /* ---- the rules: same XLSForm expressions as the server checks ---- */
  var questions = Array.prototype.map.call(form.querySelectorAll('.q[data-type]'), function (el) {
    var d = el.dataset;
    return { el: el, name: d.name, type: d.type, required: !!d.required, msg: d.constraintMsg,
      relevant: d.relevant ? X.compile(d.relevant) : null,
      constraint: d.constraint ? X.compile(d.constraint) : null,
      inputs: el.querySelectorAll('input, select, textarea'), on: true };
  });
  var groups = form.querySelectorAll('fieldset.group[data-group]');

  function value(q) {
    var inputs = Array.prototype.slice.call(q.inputs);
    if (q.type === 'select_one') {
      var c = inputs.filter(function (i) { return i.checked; })[0];
      return c ? c.value : '';
    }
    if (q.type === 'select_multiple') return inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
    if (q.type === 'image') return inputs[0].files && inputs[0].files.length ? inputs[0].files[0] : '';
    var v = inputs[0].value.trim();
    if ((q.type === 'integer' || q.type === 'decimal') && v !== '') {
      var n = Number(v.replace(',', '.'));
      return isNaN(n) ? v : n;
    }
    return v;
  }
  function empty(v) { return v === '' || v === null || (Array.isArray(v) && v.length === 0); }

  function refresh() {
    var values = {};
    questions.forEach(function (q) {
      q.on = !q.relevant || q.relevant.test(values);
      q.el.hidden = !q.on;
      Array.prototype.forEach.call(q.inputs, function (i) { i.disabled = !q.on; });
      var v = value(q);
      values[q.name] = q.on ? (q.type === 'image' ? (v ? v.name : '') : v) : '';
    });
    Array.prototype.forEach.call(groups, function (g) {
      g.hidden = !g.querySelector('.q[data-type]:not([hidden])');
    });
    return values;
  }

  function problem(q, values, onSubmit) {
    if (!q.on) return '';
    var v = values[q.name];
    if (empty(v)) return q.required && onSubmit ? text.required : '';
    if ((q.type === 'integer' || q.type === 'decimal') && typeof v !== 'number') return text.invalid;
    if (q.type === 'integer' && !Number.isInteger(v)) return text.invalid;
    if (q.constraint && !q.constraint.test(values, v)) return q.msg || text.invalid;
    return '';
  }
  function show(el, message) {
    var err = el.querySelector('.err');
    if (err) err.textContent = message;
    el.classList.toggle('has-error', !!message);
    Array.prototype.forEach.call(el.querySelectorAll('input, select, textarea'), function (i) {
      if (message) i.setAttribute('aria-invalid', 'true'); else i.removeAttribute('aria-invalid');
    });
  }
  function validate(onSubmit, only) {
    var values = refresh(), first = null;
    questions.forEach(function (q) {
      if (only && q !== only && !q.el.classList.contains('has-error')) return;
      var message = problem(q, values, onSubmit || q.el.classList.contains('has-error') && q === only);
      show(q.el, message);
      if (message && !first) first = q.el;
    });
    if (onSubmit) {
      var missingVillage = !village.value;
      show(document.getElementById('q-village'), missingVillage ? text.required : '');
      if (missingVillage) first = document.getElementById('q-village');
    }
    return { values: values, first: first };
  }

  form.addEventListener('change', function (e) {
    var q = questions.filter(function (x) { return x.el.contains(e.target); })[0];
    validate(false, q || null);
  });
  form.addEventListener('input', function () { refresh(); });

  /* ---- location ---- */
  function locate() {
    ['lat', 'lon', 'accuracy_m'].forEach(function (n) { form.elements[n].value = ''; });
    if (!navigator.geolocation) { gps.textContent = gps.dataset.off; return; }
    gps.textContent = gps.dataset.wait;
    navigator.geolocation.getCurrentPosition(function (p) {
      var c = p.coords;
      form.elements.lat.value = c.latitude.toFixed(6);
      form.elements.lon.value = c.longitude.toFixed(6);
      form.elements.accuracy_m.value = Math.round(c.accuracy);
      gps.textContent = fmt(gps.dataset.ok, { m: Math.round(c.accuracy) });
      if (!village.value) nearestVillage(c.latitude, c.longitude);
    }, function () { gps.textContent = gps.dataset.off; },
    { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }
  function nearestVillage(lat, lon) {
    var best = null, bestD = Infinity, rad = Math.PI / 180;
    Array.prototype.forEach.call(village.options, function (o) {
      if (!o.dataset.lat) return;
      var la = +o.dataset.lat, lo = +o.dataset.lon;
      var a = Math.pow(Math.sin((la - lat) * rad / 2), 2) +
        Math.cos(lat * rad) * Math.cos(la * rad) * Math.pow(Math.sin((lo - lon) * rad / 2), 2);
      if (a < bestD) { bestD = a; best = o; }
    });
    if (best) village.value = best.value;
  }

  /* ---- the outbox (IndexedDB) ---- */
  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var open = indexedDB.open('phusong', 1);
        open.onupgradeneeded = function () { open.result.createObjectStore('outbox', { keyPath: 'instance_id' }); };
        open.onsuccess = function () { resolve(open.result); };
        open.onerror = function () { reject(open.error); };
      });
    }
    return dbPromise;
  }
  function store(mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction('outbox', mode), result;
        var req = work(tx.objectStore('outbox'));
        if (req) req.onsuccess = function () { result = req.result; };
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function allItems() {
    return store('readonly', function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.queued_at < b.queued_at ? -1 : 1; });
    });
  }

  function render(sending) {
    return allItems().then(function (items) {
      var waiting = items.filter(function (i) { return !i.error; });
      var failed = items.filter(function (i) { return i.error; });
      var lines = [];
      if (waiting.length) lines.push(fmt(state.login ? text.login : sending ? text.sending : text.queued, { n: waiting.length }));
      else if (state.sent) lines.push(fmt(text.sent, { id: state.sent }));
      outboxEl.textContent = '';
      outboxEl.dataset.waiting = waiting.length;
      if (lines.length) outboxEl.appendChild(document.createTextNode(lines.join(' ')));
      if (failed.length) {
        var ul = document.createElement('ul');
        failed.forEach(function (i) {
          var li = document.createElement('li');
          li.className = 'failed';
          li.textContent = i.payload.collected_at.slice(0, 16).replace('T', ' ') + ' — ' + i.error;
          ul.appendChild(li);
        });
        outboxEl.appendChild(ul);
      }
      outboxEl.hidden = !lines.length && !failed.length;
      if (waiting.length && !state.timer) state.timer = setInterval(sync, 30000);
      if (!waiting.length && state.timer) { clearInterval(state.timer); state.timer = null; }
    });
  }

  /* ---- sending ---- */
  function post(url, body, token, json) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller && setTimeout(function () { controller.abort(); }, 30000);
    var headers = { 'X-CSRFToken': token, 'Accept': 'application/json' };
    if (json) headers['Content-Type'] = 'application/json';
    return fetch(url, { method: 'POST', body: body, headers: headers, credentials: 'same-origin',
      signal: controller && controller.signal }).finally(function () { clearTimeout(timer); });
  }
  function describe(response) {
    return response.json().then(function (b) {
      var details = b.errors ? Object.keys(b.errors).map(function (k) { return k + ': ' + b.errors[k]; }) : [];
      return [b.message].concat(details).join(' ');
    }, function () { return 'HTTP ' + response.status; });
  }
  function sendPhotos(item, id, token) {
    return (item.photos || []).reduce(function (chain, photo) {
      return chain.then(function () {
        var data = new FormData();
        data.append('question', photo.question);
        data.append('file', photo.blob, photo.name || 'photo.jpg');
        return post('/api/v1/submissions/' + id + '/attachments', data, token, false).then(function (r) {
          if (r.status >= 500) throw new Error('retry');
          // 409/422 on a photo must not hold back the household: the answers are stored.
        });
      });
    }, Promise.resolve());
  }
  function sendOne(item, token) {
    return post(form.dataset.api, JSON.stringify(item.payload), token, true).then(function (r) {
      if (r.status === 201 || r.status === 200) {
        return r.json().then(function (record) {
          return sendPhotos(item, record.id, token).then(function () {
            state.sent = record.id;
            return store('readwrite', function (s) { s.delete(item.instance_id); });
          });
        });
      }
      if (r.status === 401) { state.login = true; throw new Error('login'); }
      if (r.status === 400 || r.status >= 500) throw new Error('retry');
      return describe(r).then(function (message) {  // 409, 422, 403: needs a person, keep it
        item.error = message;
        return store('readwrite', function (s) { s.put(item); });
      });
    });
  }
  function drain() {
    return allItems().then(function (items) {
      items = items.filter(function (i) { return !i.error; });
      if (!items.length) return;
      return render(true).then(function () {
        return fetch(form.dataset.sessionApi, { credentials: 'same-origin', cache: 'no-store' });
      }).then(function (r) {
        if (r.status === 401) { state.login = true; return; }
        if (!r.ok) return;
        state.login = false;
        return r.json().then(function (session) {
          return items.reduce(function (chain, item) {
            return chain.then(function () { return sendOne(item, session.csrf_token); });
          }, Promise.resolve());
        });
      });
    }).catch(function () { /* offline or server away: the items wait for the next try */ });
  }
  function sync() {
    if (state.syncing) return;
    state.syncing = true;
    var run = function () { return drain(); };
    // One sender across tabs too; the server is idempotent anyway, but spare the network.
    var work = navigator.locks ? navigator.locks.request('phusong-outbox', { ifAvailable: true },
      function (lock) { return lock ? run() : null; }) : run();
    Promise.resolve(work).catch(function () {}).then(function () {
      state.syncing = false;
      return render(false);
    });
  }

  /* ---- submit: queue first, then send ---- */
  function payloadFrom(values) {
    var answers = {}, photos = [];
    questions.forEach(function (q) {
      var v = value(q);
      if (!q.on || empty(v)) return;
      if (q.type === 'image') {
        photos.push({ question: q.name, blob: v, name: v.name });
        answers[q.name] = (v.name || 'photo.jpg').replace(/[\\/]/g, '_').slice(-200);
      } else answers[q.name] = v;
    });
    var lat = form.elements.lat.value, lon = form.elements.lon.value, acc = form.elements.accuracy_m.value;
    return { photos: photos, payload: {
      instance_id: form.elements.instance_id.value, survey: form.dataset.survey,
      survey_version: form.dataset.version, village: village.value,
      collected_at: new Date().toISOString(),
      location: lat && lon ? { lat: +lat, lon: +lon, accuracy_m: acc === '' ? null : +acc } : null,
      answers: answers } };
  }
  function startHousehold() {
    var chosen = village.value;
    form.reset();
    village.value = chosen;
    form.elements.instance_id.value = uuid();
    questions.forEach(function (q) { show(q.el, ''); });
    refresh();
    locate();
  }

  form.addEventListener('submit', function (e) {
    if (!window.indexedDB) return;  // very old browser: the plain POST still works
    e.preventDefault();
    var checked = validate(true);
    if (checked.first) {
      checked.first.scrollIntoView({ block: 'center' });
      var input = checked.first.querySelector('input, select, textarea');
      if (input) input.focus();
      return;
    }
    submitButton.disabled = true;
    var built = payloadFrom(checked.values);
    var item = { instance_id: built.payload.instance_id, payload: built.payload, photos: built.photos,
      queued_at: new Date().toISOString() };
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
    store('readwrite', function (s) { s.add(item); }).then(function () {
      state.sent = null;
      startHousehold();
      window.scrollTo(0, 0);
      return render(false);
    }, function () { /* already queued (double tap): nothing to do */ }).then(function () {
      submitButton.disabled = false;
      sync();
    });
  });

  window.addEventListener('online', sync);
  document.addEventListener('visibilitychange', function () { if (!document.hidden) sync(); });
  // The server's instance_id is for the plain POST; a page from the offline cache would repeat it.
  form.elements.instance_id.value = uuid();
  refresh();
  locate();
  render(false).then(sync);
})();
