/* The survey form, enhanced: rules as you type, GPS and an offline outbox. Without this script it is a
   plain POST. With it a household goes first into IndexedDB (it survives reloads and days without
   signal), then to the API, which treats a resent instance_id as a replay. Plain ES2017. */
(() => {
  'use strict';
  const sw = navigator.serviceWorker;
  if (sw) {
    const register = () => sw.register('/sw.js', { scope: '/' }).catch(() => {});
    if (document.readyState === 'complete') register(); else addEventListener('load', register);
  }
  const form = document.getElementById('survey-form'), X = window.PhusongXPath;
  if (!form || !X) return;

  const $ = (id) => document.getElementById(id);
  const all = (sel, el) => Array.from((el || form).querySelectorAll(sel)), FIELDS = 'input,select,textarea';
  const fmt = (s, v) => s.replace(/\{(\w+)\}/g, (_, k) => v[k]);
  const T = $('i18n').dataset, F = form.elements, D = form.dataset, village = F.village;
  const box = $('outbox'), gps = $('gps'), button = $('submit'), place = $('q-village');
  const BASE = 30000, st = { busy: false, login: false, sent: null, notes: [], delay: BASE, timer: 0 };
  const ASK = { Accept: 'application/json', 'Accept-Language': D.locale };  // the API's messages in the page's language
  const fix = document.createElement('p');
  fix.className = 'alert error'; fix.setAttribute('role', 'alert'); fix.textContent = T.fix; fix.hidden = true;
  form.insertBefore(fix, button);
  // crypto.randomUUID is missing on plain http and in older WebViews: RFC 4122 version 4 by hand.
  const uuid = () => crypto.randomUUID ? crypto.randomUUID() : '10000000-1000-4000-8000-100000000000'
    .replace(/[018]/g, (c) => (c ^ crypto.getRandomValues(new Uint8Array(1))[0] & 15 >> c / 4).toString(16));

  /* ---- rules: the XLSForm expressions the server checks too ---- */
  const compile = (s) => { try { return s ? X.compile(s) : null; } catch (e) { return null; } };
  const holds = (rule, values, cur) => { try { return rule.test(values, cur); } catch (e) { return true; } };
  const qs = all('.q[data-type]').map((el) => {
    const d = el.dataset;
    return { el, name: d.name, type: d.type, required: !!d.required, msg: d.constraintMsg, on: true,
      rel: compile(d.relevant), con: compile(d.constraint), inputs: all(FIELDS, el) };
  });
  const numeric = (q) => q.type === 'integer' || q.type === 'decimal';
  const empty = (v) => v === '' || Array.isArray(v) && !v.length;

  function value(q) {
    const i = q.inputs, picked = i.filter((x) => x.checked).map((x) => x.value);
    if (q.type === 'select_one') return picked[0] || '';
    if (q.type === 'select_multiple') return picked;
    if (q.type === 'image') return i[0].files && i[0].files[0] || '';
    if (i[0].validity && i[0].validity.badInput) return '?';  // typed, but not a number
    const v = i[0].value.trim(), n = Number(v.replace(',', '.'));
    return !numeric(q) || v === '' || isNaN(n) ? v : n;
  }
  // In document order: a question that is not relevant counts as empty for the ones after it.
  function refresh() {
    const values = {};
    qs.forEach((q) => { const v = value(q); values[q.name] = v && v.name || v; });
    qs.forEach((q) => {
      q.on = !q.rel || holds(q.rel, values);
      if (!q.on) values[q.name] = '';
      q.el.hidden = !q.on;
      q.inputs.forEach((i) => { i.disabled = !q.on; });  // so they are not posted
    });
    all('fieldset[data-group]').forEach((g) => { g.hidden = !g.querySelector('.q[data-type]:not([hidden])'); });
    return values;
  }
  function problem(q, values, strict) {
    const v = values[q.name];
    if (!q.on) return '';
    if (empty(v)) return q.required && strict ? T.required : '';
    if (numeric(q) && (typeof v !== 'number' || q.type === 'integer' && !Number.isInteger(v))) return T.invalid;
    return q.con && !holds(q.con, values, v) ? q.msg || T.invalid : '';
  }
  function mark(el, msg) {
    el.querySelector('.err').textContent = msg;
    el.classList.toggle('has-error', !!msg);
    all(FIELDS, el).forEach((i) => msg ? i.setAttribute('aria-invalid', 'true') : i.removeAttribute('aria-invalid'));
  }
  // On submit (strict) required answers too; on change only the answers given and errors shown.
  function check(strict) {
    const values = refresh(), bad = (el) => strict || el.classList.contains('has-error');
    let first = null;
    if (bad(place)) { mark(place, village.value ? '' : T.required); if (!village.value) first = place; }
    qs.forEach((q) => {
      const msg = problem(q, values, bad(q.el));
      mark(q.el, msg);
      first = first || msg && q.el;
    });
    if (!first) fix.hidden = true;
    return first;
  }

  /* ---- location ---- */
  function locate() {
    ['lat', 'lon', 'accuracy_m'].forEach((n) => { F[n].value = ''; });
    const off = () => { gps.textContent = gps.dataset.off; };
    if (!navigator.geolocation) return off();
    gps.textContent = gps.dataset.wait;
    navigator.geolocation.getCurrentPosition((p) => {
      const c = p.coords, m = Math.round(c.accuracy);
      F.lat.value = c.latitude.toFixed(6); F.lon.value = c.longitude.toFixed(6); F.accuracy_m.value = m;
      gps.textContent = fmt(gps.dataset.ok, { m });
      // The village is picked from the position only inside the commune (never a village of the
      // commune for a surveyor standing 190 km away).
      if (!village.value && placeOf(c.latitude, c.longitude).inside) nearest(c.latitude, c.longitude);
      warnPlace();
    }, off, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }
  function km(lat, lon, la, lo) {  // haversine
    const r = Math.PI / 180, sin2 = (x) => Math.pow(Math.sin(x * r / 2), 2);
    return 12742 * Math.asin(Math.sqrt(sin2(la - lat) + Math.cos(lat * r) * Math.cos(la * r) * sin2(lo - lon)));
  }
  function closest(lat, lon) {
    let best = null, bestD = Infinity;
    all('option[data-lat]', village).forEach((o) => {
      const d = km(lat, lon, +o.dataset.lat, +o.dataset.lon);
      if (d < bestD) { bestD = d; best = o; }
    });
    return { option: best, km: bestD };
  }
  function nearest(lat, lon) {
    const best = closest(lat, lon).option;
    if (best) village.value = best.value;
  }

  /* ---- is the position in the commune, near the chosen village? (the server flags it too) ---- */
  const areaEl = $('commune-area'), area = areaEl ? JSON.parse(areaEl.textContent) : {};
  const warning = $('gps-warning');
  function inRings(rings, lat, lon) {  // even-odd over the rings: holes count as outside
    let inside = false;
    rings.forEach((ring) => {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i], [xj, yj] = ring[j];
        if ((yi > lat) !== (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) inside = !inside;
      }
    });
    return inside;
  }
  function placeOf(lat, lon) {
    const b = area.boundary, max = area.village_max_km || 2;
    const near = closest(lat, lon);
    let inside;
    if (b && b.type === 'Polygon') inside = inRings(b.coordinates, lat, lon);
    else if (b && b.type === 'MultiPolygon') inside = b.coordinates.some((p) => inRings(p, lat, lon));
    else inside = !near.option || near.km <= 5 * max;  // no boundary: near one of its villages
    return { inside, near };
  }
  function warnPlace() {
    if (!warning) return;
    const lat = parseFloat(F.lat.value), lon = parseFloat(F.lon.value);
    let text = '';
    if (!isNaN(lat) && !isNaN(lon)) {
      const place = placeOf(lat, lon), chosen = village.selectedOptions[0];
      const dist = (d) => (d < 10 ? d.toFixed(1) : Math.round(d).toString())
        .replace('.', D.locale === 'vi' ? ',' : '.');
      if (!place.inside) {
        text = fmt(warning.dataset.outside, { km: dist(place.near.km) });
      } else if (chosen && chosen.dataset.lat) {
        const d = km(lat, lon, +chosen.dataset.lat, +chosen.dataset.lon);
        if (d > (area.village_max_km || 2)) text = fmt(warning.dataset.far, { km: dist(d), village: chosen.textContent });
      }
    }
    warning.textContent = text;
    warning.hidden = !text;
  }
  village.addEventListener('change', warnPlace);

  /* ---- the outbox: IndexedDB "phusong", store "outbox", keyed by instance_id ---- */
  let dbp = null;
  function idb(mode, work) {
    dbp = dbp || new Promise((ok, ko) => {
      const r = indexedDB.open('phusong', 1);
      r.onupgradeneeded = () => r.result.createObjectStore('outbox', { keyPath: 'instance_id' });
      r.onsuccess = () => ok(r.result);
      r.onerror = () => { dbp = null; ko(r.error); };
    });
    return dbp.then((db) => new Promise((ok, ko) => {
      const tx = db.transaction('outbox', mode), req = work(tx.objectStore('outbox'));
      tx.oncomplete = () => ok(req.result);
      tx.onerror = (e) => ko(e.target.error);  // the request's error (ConstraintError…), not yet tx.error
      tx.onabort = () => ko(tx.error);
    }));
  }
  const put = (item) => idb('readwrite', (s) => s.put(item));
  const list = () => idb('readonly', (s) => s.getAll())
    .then((a) => a.sort((x, y) => x.queued_at < y.queued_at ? -1 : 1));

  window.addEventListener('hashchange', () => render());
  function render(sending) {
    return list().then((items) => {
      const failed = items.filter((i) => i.error), waiting = items.length - failed.length;
      const lines = failed.map((i) => new Date(i.payload.collected_at).toLocaleString(D.locale, { timeZone: 'Asia/Ho_Chi_Minh' }) + ' — ' + i.error)
        .concat(st.notes);
      // The menu's "Outbox" (#outbox) always answers, even when nothing waits.
      const line = waiting ? fmt(st.login ? T.login : sending ? T.sending : T.queued, { n: waiting })
        : st.sent ? fmt(T.sent, { id: st.sent }) : location.hash === '#outbox' ? T.empty : '';
      box.textContent = line;
      box.dataset.waiting = waiting;
      box.dataset.failed = failed.length;
      if (lines.length) {
        const ul = box.appendChild(document.createElement('ul'));
        lines.forEach((text) => {
          const li = ul.appendChild(document.createElement('li'));
          li.className = 'failed'; li.textContent = text;
        });
      }
      box.hidden = !line && !lines.length;
      clearTimeout(st.timer);  // every 30 s while items wait, backing off to 5 min after failures
      st.timer = waiting ? setTimeout(sync, st.delay * (0.8 + Math.random() * 0.4)) : 0;
    }).catch(() => {});
  }

  /* ---- sending: oldest first, one at a time ---- */
  async function post(url, body, token, size) {
    const ctl = new AbortController(), timer = setTimeout(() => ctl.abort(), 30000 + (size || 0) / 10);
    const headers = Object.assign({ 'X-CSRFToken': token }, ASK);
    if (typeof body === 'string') headers['Content-Type'] = 'application/json';
    let r;
    try {
      r = await fetch(url, { method: 'POST', body, headers, credentials: 'same-origin', signal: ctl.signal });
    } finally { clearTimeout(timer); }
    const b = await r.json().catch(() => ({})), keys = Object.keys(b.errors || {});
    return { ok: r.status < 300, status: r.status, body: b,
      retry: r.status === 401 || r.status >= 500 || r.status === 408 || r.status === 429 || b.code === '400.3',
      message: keys.length ? keys.map((k) => k + ': ' + b.errors[k]).join('; ') : b.message || 'HTTP ' + r.status };
  }
  // true: go on with the next item; false: stop and try again later.
  async function send(item, token) {
    let r;
    if (!item.sent_id) {
      r = await post(D.api, JSON.stringify(item.payload), token);
      st.login = r.status === 401;
      if (r.retry) return false;
      if (!r.ok) { item.error = r.message; await put(item); return true; }  // 409, 422…: a person must look
      item.sent_id = r.body.id;
      if (item.photos.length) await put(item);  // the answers are in; only the photo is left
    }
    for (const p of item.photos) {
      const data = new FormData();
      data.append('question', p.question);
      data.append('file', p.blob, p.name);
      r = await post(D.api + '/' + item.sent_id + '/attachments', data, token, p.blob.size);
      st.login = r.status === 401;
      if (r.retry) return false;
      if (!r.ok) st.notes.push(fmt(T.sent, { id: item.sent_id }) + ' ' + p.name + ': ' + r.message);
    }
    await idb('readwrite', (s) => s.delete(item.instance_id));
    st.sent = item.sent_id;
    return true;
  }
  async function drain(withFailed) {
    const items = (await list()).filter((i) => withFailed || !i.error);
    if (!items.length) return;
    await render(true);
    let ok = false;
    try {
      const r = await fetch(D.sessionApi, { credentials: 'same-origin', cache: 'no-store', headers: ASK });
      st.login = r.status === 401;
      if (!r.ok) return;
      const session = await r.json();
      let other = false;
      for (const item of items) {
        // A phone shared by two surveyors: each one's households go under their own login.
        if (item.user && item.user !== session.username) { other = true; continue; }
        if (!await send(item, session.csrf_token)) return;
      }
      st.login = other;
      ok = true;
    } catch (e) { /* offline, timed out or the server is away: the items wait */ } finally {
      st.delay = ok ? BASE : Math.min(st.delay * 2, 10 * BASE);
    }
  }
  function sync(withFailed) {
    if (st.busy) return Promise.resolve();
    st.busy = true;
    const run = () => drain(withFailed === true);
    // One sender across tabs too: the server is idempotent anyway, but spare the network.
    const work = navigator.locks
      ? navigator.locks.request('phusong-outbox', { ifAvailable: true }, (lock) => lock && run()) : run();
    return work.catch(() => {}).then(() => { st.busy = false; return render(false); });
  }

  /* ---- submit: queue first, then send ---- */
  async function build() {
    const answers = {}, files = [], lat = F.lat.value, lon = F.lon.value, acc = F.accuracy_m.value;
    refresh();
    qs.forEach((q) => {
      const v = q.on ? value(q) : '';
      if (empty(v)) return;
      if (q.type !== 'image') { answers[q.name] = v; return; }
      files.push({ question: q.name, file: v, name: answers[q.name] = v.name.replace(/[\\/]/g, '_').slice(-200) });
    });
    const now = new Date().toISOString(), id = F.instance_id.value, fix2 = correcting();
    const item = { instance_id: id, queued_at: now, user: D.user, photos: [], payload: {
      instance_id: id, survey: D.survey, survey_version: D.version, village: village.value,
      collected_at: fix2 ? F.collected_at.value : now,  // a correction keeps the visit's time
      location: lat && lon ? { lat: +lat, lon: +lon, accuracy_m: acc === '' ? null : +acc } : null, answers } };
    if (fix2) item.payload.supersedes = fix2;
    else if (F.started_at && F.started_at.value) item.payload.started_at = F.started_at.value;
    for (const f of files) {  // the bytes themselves, not a handle on a file the phone may move
      f.blob = new Blob([await new Response(f.file).arrayBuffer()], { type: f.file.type });
      delete f.file;
      item.photos.push(f);
    }
    return item;
  }
  // The instance_id a correction replaces ('' for a new household).
  const correcting = () => F.supersedes && F.supersedes.value || '';
  const started = () => { if (F.started_at) F.started_at.value = new Date().toISOString(); };
  function nextHousehold() {
    const chosen = village.value;
    started();
    form.reset();
    village.value = chosen;
    F.instance_id.value = uuid();
    qs.forEach((q) => mark(q.el, ''));
    if ($('saved')) $('saved').hidden = true;
    refresh();
    locate();
  }

  form.addEventListener('submit', async (e) => {
    if (!window.indexedDB) return;  // a very old browser: the plain POST still works
    e.preventDefault();
    if (button.disabled) return;  // a second tap while the first is being queued
    const first = check(true);
    fix.hidden = !first;
    if (first) {
      first.scrollIntoView({ block: 'center' });
      first.querySelector(FIELDS).focus({ preventScroll: true });
      return;
    }
    button.disabled = true;
    let item = null;
    try {
      item = await build();
      await idb('readwrite', (s) => s.add(item));  // add, not put: an instance_id is queued once
    } catch (err) {
      button.disabled = false;
      if (err && err.name === 'ConstraintError') return;  // already queued
      if (item) F.collected_at.value = item.payload.collected_at;
      return HTMLFormElement.prototype.submit.call(form);  // no storage here: the plain POST (form.submit is the button)
    }
    if (navigator.storage && navigator.storage.persist && !st.asked) navigator.storage.persist().catch(() => {});
    st.asked = true;
    st.sent = null;
    if (correcting()) {  // back to the surveyor's list once sent (or queued, when offline)
      await render(false);
      return sync().then(() => location.assign(D.afterCorrection || '/'));
    }
    nextHousehold();
    scrollTo(0, 0);
    button.disabled = false;
    await render(false);
    sync();
  });
  form.addEventListener('change', () => check(false));
  form.addEventListener('input', refresh);
  addEventListener('online', () => { st.delay = BASE; sync(); });
  document.addEventListener('visibilitychange', () => { if (!document.hidden) sync(); });

  // The rendered instance_id is for the plain POST; a page from the offline cache would repeat it.
  F.instance_id.value = uuid();
  started();
  refresh();
  if (!correcting()) locate();  // a correction keeps the place of the visit
  render(false).then(() => sync(true));  // on load, failed items get one more try
})();
