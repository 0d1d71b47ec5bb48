/* The coverage upload page, enhanced: drop a file on the zone, watch it go up, see what the server kept.
   Without this script the form is a plain multipart POST. With it the same form goes to the JSON API
   (POST /api/v1/coverage/uploads) by XMLHttpRequest, whose upload.onprogress gives a real progress bar.
   A file larger than one request may carry (data-max-bytes) goes up in pieces with the tus protocol
   (static/vendor/tus-js-client, POST /api/v1/coverage/resumable): a cut connection resumes where it
   stopped, then a worker imports the file while this page shows its progress (rows read, accepted,
   rejected, time left) from GET /api/v1/coverage/uploads/ID. An upload's own page (data-status-url)
   follows an import the same way. Also asks before a delete form (data-confirm) is sent. */
(() => {
  'use strict';
  document.querySelectorAll('form[data-confirm]').forEach((f) => f.addEventListener('submit', (e) => {
    if (!confirm(f.dataset.confirm)) e.preventDefault();
  }));
  const POLL_MS = 1500;
  const watched = document.getElementById('import-status');
  if (watched && window.fetch) {  // an upload's page: reload it once its import has ended
    const follow = () => fetch(watched.dataset.statusUrl, { headers: { Accept: 'application/json' } })
      .then((r) => r.json()).then((body) => {
        if (body.status === 'queued' || body.status === 'importing') {
          const p = body.progress || {};
          watched.textContent = watched.dataset[body.status] + ' ' + fmt(watched.dataset.counts, {
            rows: p.rows_read || 0, accepted: p.rows_accepted || 0, rejected: p.rows_rejected || 0 });
          setTimeout(follow, POLL_MS);
        } else window.location.reload();
      }, () => setTimeout(follow, POLL_MS * 4));
    const fmt = (s, v) => s.replace(/\{(\w+)\}/g, (_, k) => v[k]);
    setTimeout(follow, POLL_MS);
  }
  const form = document.getElementById('coverage-upload');
  if (!form || !window.FormData || !window.XMLHttpRequest) return;

  const $ = (id) => document.getElementById(id);
  const T = $('coverage-i18n').dataset, D = form.dataset, input = form.elements.file;
  const zone = $('dropzone'), chosen = $('dz-chosen'), button = $('upload-submit'), box = $('upload-status');
  const bar = $('upload-progress'), text = $('upload-text'), result = $('upload-result');
  const fmt = (s, v) => s.replace(/\{(\w+)\}/g, (_, k) => v[k]);
  const num = new Intl.NumberFormat(D.locale), dec = new Intl.NumberFormat(D.locale, { maximumFractionDigits: 1 });
  const size = (n) => n < 1048576 ? dec.format(n / 1024) + ' kB' : dec.format(n / 1048576) + ' MB';
  let file = null;

  const el = (tag, props, children) => {
    const node = Object.assign(document.createElement(tag), props || {});
    (children || []).forEach((c) => node.append(c));
    return node;
  };
  const count = (k, n) => { const dd = el('dd', { textContent: num.format(n) }); dd.dataset.count = k; return dd; };
  const say = (message, kind) => {
    box.hidden = false;
    text.textContent = message;
    text.className = kind ? 'alert ' + kind : '';
  };
  const pick = (f) => {
    file = f || null;
    chosen.textContent = file ? fmt(T.chosen, { name: file.name, size: size(file.size) }) : '';
    zone.classList.toggle('has-file', !!file);
    result.textContent = '';
  };

  input.addEventListener('change', () => pick(input.files[0]));
  ['dragenter', 'dragover'].forEach((type) => zone.addEventListener(type, (e) => {
    e.preventDefault();
    zone.classList.add('over');
  }));
  ['dragleave', 'dragend'].forEach((type) => zone.addEventListener(type, () => zone.classList.remove('over')));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const f = e.dataTransfer && e.dataTransfer.files[0];
    if (!f) return;
    try { input.files = e.dataTransfer.files; } catch (err) { /* old browsers: keep it in `file` only */ }
    pick(f);
  });

  function show(status, body) {
    const counts = el('dl', { className: 'counts' }, ['rows', 'accepted', 'rejected', 'duplicates', 'warnings']
      .map((k) => el('div', { className: k === 'accepted' ? 'ok' : k === 'rejected' ? 'bad' : '' }, [
        el('dt', { textContent: T[k] }), count(k, body[k])])));
    const links = el('p', { className: 'links' }, [
      el('a', { className: 'button primary', href: D.pages + '/' + body.id, textContent: T.open }), ' ',
      el('a', { className: 'button', href: body.errors_url, textContent: T.errors, download: '' })]);
    say(status === 201 ? T.saved : T.again, 'ok');
    result.textContent = '';
    result.append(counts, links);
  }
  function fail(status, body) {
    const errors = Object.values((body && body.errors) || {});
    say((body && body.message) || T.network + (status ? ' (HTTP ' + status + ')' : ''), 'error');
    const items = errors.map((m) => el('li', { textContent: m })).concat(((body && body.details) || [])
      .slice(0, 10).map((d) => el('li', { textContent: `${T.line} ${d.line}, ${d.column}: ${d.reason}` })));
    result.textContent = '';
    if (items.length) result.append(el('ul', { className: 'alert error' }, items));
  }

  const progress = (sent, total) => {
    const percent = total ? Math.round(sent / total * 100) : 100;
    bar.value = percent;
    bar.textContent = percent + ' %';
    say(fmt(T.sending, { percent, sent: size(sent), total: size(total) }));
  };
  const csrf = () => form.elements.csrf_token.value;
  if (window.tus && window.tus.isSupported && window.fetch) $('dz-resumable').hidden = false;
  const duration = (seconds) => seconds < 90 ? fmt(T.seconds, { n: num.format(Math.max(1, seconds)) })
    : fmt(T.minutes, { n: num.format(Math.round(seconds / 60)) });
  const api = (url, options) => fetch(url, Object.assign({ credentials: 'same-origin' }, options || {}, {
    headers: Object.assign({ Accept: 'application/json', 'Accept-Language': D.locale, 'X-CSRFToken': csrf() },
      (options || {}).headers || {}) })).then((r) => r.json().then((body) => ({ status: r.status, body })));
  let current = null;  // what the cancel button stops: {upload} while sending, {id} while importing
  const cancel = $('upload-cancel');

  // After the last byte: the worker imports the file; follow it until it ends.
  function follow(uploadId) {
    current = { id: uploadId };
    api(D.uploadsApi + '/' + uploadId).then(({ status, body }) => {
      if (status !== 200) { fail(status, body); return; }
      const p = body.progress || {};
      if (body.status === 'queued' || body.status === 'importing') {
        bar.value = p.bytes_total ? Math.round(p.bytes_read / p.bytes_total * 100) : 0;
        const counts = fmt(T.counts, { rows: num.format(p.rows_read || 0),
          accepted: num.format(p.rows_accepted || 0), rejected: num.format(p.rows_rejected || 0) });
        const left = p.seconds_left == null ? '' : ' ' + fmt(T.left, { time: duration(p.seconds_left) });
        say((body.status === 'queued' ? T.queued : T.importing) + ' ' + counts + left);
        box.setAttribute('aria-busy', 'true');
        setTimeout(() => follow(uploadId), POLL_MS);
        return;
      }
      current = null;
      cancel.hidden = true;
      button.disabled = false;
      box.removeAttribute('aria-busy');
      if (body.status === 'done') { bar.value = 100; show(201, body); }
      else if (body.status === 'cancelled') say(T.cancelled, 'error');
      else fail(0, { message: T.failed, errors: { file: (body.error || {}).message },
        details: (body.error || {}).details });
    }, () => setTimeout(() => follow(uploadId), POLL_MS * 4));
  }

  function sendResumable() {
    const metadata = { filename: file.name, filetype: file.type || '' };
    if (form.elements.format && form.elements.format.value) metadata.format = form.elements.format.value;
    if (form.elements.partner && form.elements.partner.value) metadata.partner = form.elements.partner.value;
    const upload = new window.tus.Upload(file, {
      endpoint: D.resumable,
      chunkSize: +D.chunkBytes,
      metadata,
      headers: { 'X-CSRFToken': csrf(), 'Accept-Language': D.locale },
      // Keep trying through a weak link: every network error or server hiccup is retried (the
      // library's default gives up while the browser says it is offline).
      retryDelays: [0, 1000, 2000, 4000, 8000, 15000, 30000, 30000, 60000, 60000],
      onShouldRetry: (err) => {
        const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
        if (status && status < 500 && status !== 409 && status !== 423) return false;
        say(T.resuming, 'error');
        return true;
      },
      removeFingerprintOnSuccess: true,
      onProgress: (sent, total) => progress(sent, total),
      onError: (err) => {
        const response = err.originalResponse;
        let body = null;
        try { body = JSON.parse(response.getBody()); } catch (e) { /* no answer at all */ }
        if (!response || !response.getStatus()) {  // still offline: go on when the link is back
          say(T.resuming, 'error');
          window.addEventListener('online', () => upload.start(), { once: true });
          return;
        }
        current = null;
        cancel.hidden = true;
        button.disabled = false;
        fail(response.getStatus(), body);
      },
      onSuccess: () => {
        say(T.checking);
        const queued = () => api(upload.url).then(({ status, body }) => {
          if (status === 200 && body.upload) follow(body.upload);
          else if (status === 200 && body.offset === body.length) setTimeout(queued, POLL_MS * 2);  // server busy
          else fail(status, body);
        }, () => setTimeout(queued, POLL_MS * 4));
        queued();
      },
    });
    current = { upload };
    cancel.hidden = false;
    // The same file chosen again after a closed tab or a reload resumes where it stopped.
    upload.findPreviousUploads().then((previous) => {
      if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    });
  }

  cancel.addEventListener('click', () => {
    if (!current) return;
    if (current.upload) {
      current.upload.abort(true).catch(() => {});
      current = null;
      cancel.hidden = true;
      button.disabled = false;
      say(T.cancelled, 'error');
    } else if (current.id) {
      api(D.uploadsApi + '/' + current.id + '/cancel', { method: 'POST' });
    }
  });

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (button.disabled) return;
    if (!file) { say(T.none, 'error'); input.focus(); return; }
    if (file.size > +D.maxBytes) {
      if (!window.tus || !window.tus.isSupported || !window.fetch) { say(T.large, 'error'); return; }
      if (file.size > +D.resumableMax) { say(T.huge, 'error'); return; }
      button.disabled = true;
      result.textContent = '';
      bar.value = 0;
      progress(0, file.size);
      sendResumable();
      return;
    }
    const data = new FormData(form);
    data.set('file', file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', D.api);
    xhr.setRequestHeader('X-CSRFToken', form.elements.csrf_token.value);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Accept-Language', D.locale);  // the API's messages in the page's language
    xhr.upload.onprogress = (ev) => progress(ev.loaded, ev.lengthComputable ? ev.total : file.size);
    xhr.upload.onload = () => {  // every byte is on the server: now it reads and stores the rows
      progress(file.size, file.size);
      say(T.checking);
      box.setAttribute('aria-busy', 'true');
    };
    xhr.onloadend = () => {
      button.disabled = false;
      box.removeAttribute('aria-busy');
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (err) { /* not JSON: a proxy's page or no answer */ }
      if (xhr.status === 200 || xhr.status === 201) show(xhr.status, body); else fail(xhr.status, body);
    };
    button.disabled = true;
    result.textContent = '';
    bar.value = 0;
    progress(0, file.size);
    xhr.send(data);
  });
})();
